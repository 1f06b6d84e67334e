package faults_test

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payap/payap-sandbox/internal/faults"
)

// problem is one expected validation problem: the field, and words the
// message must contain.
type problem struct{ field, says string }

func TestValidate(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		rule faults.Rule
		want []problem // nil: valid
	}{
		{name: "status answer", rule: faults.Rule{Service: "provider", Match: faults.Match{Method: "POST", Path: "/token"},
			When: faults.Trigger{Nth: []int{1, 2}}, Do: faults.Action{Status: 503, Body: []byte(`{"error":"temporarily_unavailable"}`)}}},
		{name: "delay alone", rule: faults.Rule{Do: faults.Action{Delay: 1500 * time.Millisecond}}},
		{name: "delay range with an action", rule: faults.Rule{Do: faults.Action{Delay: time.Second, DelayMax: 2 * time.Second, Drop: true}}},
		{name: "every trigger at once", rule: faults.Rule{When: faults.Trigger{Nth: []int{4, 6}, Every: 2, After: 3, Times: 1, Probability: 1,
			From: at, To: at.Add(time.Hour)}, Do: faults.Action{Hang: true}}},
		{name: "retry after with the service's shape", rule: faults.Rule{Do: faults.Action{RetryAfter: 30,
			Body: []byte(`{"statusCode":429}`), Headers: map[string]string{"X-RateLimit-Remaining": "0"}}}},
		{name: "oauth error", rule: faults.Rule{Do: faults.Action{OAuthError: "invalid_grant"}}},
		{name: "truncate", rule: faults.Rule{Do: faults.Action{Truncate: 10}}},
		{name: "malformed", rule: faults.Rule{Do: faults.Action{Malformed: true}}},

		{name: "empty action", rule: faults.Rule{},
			want: []problem{{"do", "nothing to do"}}},
		{name: "body without status", rule: faults.Rule{Do: faults.Action{Body: []byte("x")}},
			want: []problem{{"do", "need status"}}},
		{name: "two actions", rule: faults.Rule{Do: faults.Action{Status: 500, Drop: true}},
			want: []problem{{"do", "status and drop are separate actions"}}},
		{name: "drop takes no body", rule: faults.Rule{Do: faults.Action{Drop: true, Headers: map[string]string{"X": "y"}}},
			want: []problem{{"do", "drop does not take them"}}},
		{name: "a delay alone takes no body", rule: faults.Rule{Do: faults.Action{Delay: time.Second, Body: []byte("x")}},
			want: []problem{{"do", "a delay alone lets the service answer"}}},
		{name: "oauth error takes no headers", rule: faults.Rule{Do: faults.Action{OAuthError: "invalid_grant", Headers: map[string]string{"X": "y"}}},
			want: []problem{{"do", "oauthError does not take them"}}},
		{name: "status too low", rule: faults.Rule{Do: faults.Action{Status: 99}},
			want: []problem{{"do.status", "200 to 599"}}},
		{name: "informational status", rule: faults.Rule{Do: faults.Action{Status: 100}},
			want: []problem{{"do.status", "200 to 599"}}},
		{name: "status too high", rule: faults.Rule{Do: faults.Action{Status: 600}},
			want: []problem{{"do.status", "200 to 599"}}},
		{name: "204 with a body", rule: faults.Rule{Do: faults.Action{Status: http.StatusNoContent, Body: []byte("x")}},
			want: []problem{{"do.body", "cannot carry a body"}}},
		{name: "negative delay", rule: faults.Rule{Do: faults.Action{Delay: -time.Second}},
			want: []problem{{"do.delay", "cannot be negative"}}},
		{name: "range backwards", rule: faults.Rule{Do: faults.Action{Delay: 2 * time.Second, DelayMax: time.Second}},
			want: []problem{{"do.delayMax", "shorter than do.delay"}}},
		{name: "negative truncate", rule: faults.Rule{Do: faults.Action{Truncate: -1, Status: 500}},
			want: []problem{{"do.truncate", "1 or more"}, {"do", "status and truncate"}}},
		{name: "negative retry after", rule: faults.Rule{Do: faults.Action{RetryAfter: -5, Status: 500}},
			want: []problem{{"do.retryAfter", "1 or more"}, {"do", "status and retryAfter"}}},
		{name: "retry after header set twice", rule: faults.Rule{Do: faults.Action{RetryAfter: 5, Headers: map[string]string{"retry-after": "9"}}},
			want: []problem{{"do.headers.retry-after", "sets Retry-After itself"}}},
		{name: "bad answer header", rule: faults.Rule{Do: faults.Action{Status: 500, Headers: map[string]string{"Bad Name": "x", "X-Ok": "a\nb"}}},
			want: []problem{{"do.headers", `"Bad Name" is not a header name`}, {"do.headers.X-Ok", "control characters"}}},
		{name: "unknown oauth error", rule: faults.Rule{Do: faults.Action{OAuthError: "invalid_grnat"}},
			want: []problem{{"do.oauthError", "invalid_grant"}}},
		{name: "probability too high", rule: faults.Rule{When: faults.Trigger{Probability: 1.5}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.probability", "1.5 is out of range"}}},
		{name: "probability negative", rule: faults.Rule{When: faults.Trigger{Probability: -0.1}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.probability", "out of range"}}},
		{name: "probability NaN", rule: faults.Rule{When: faults.Trigger{Probability: math.NaN()}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.probability", "out of range"}}},
		{name: "nth zero", rule: faults.Rule{When: faults.Trigger{Nth: []int{1, 0}}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.nth[1]", "counted from 1"}}},
		{name: "every negative", rule: faults.Rule{When: faults.Trigger{Every: -2}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.every", "1 or more"}}},
		{name: "after negative", rule: faults.Rule{When: faults.Trigger{After: -1}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.after", "0 or more"}}},
		{name: "times negative", rule: faults.Rule{When: faults.Trigger{Times: -1}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.times", "1 or more"}}},
		{name: "empty window", rule: faults.Rule{When: faults.Trigger{From: at, To: at}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.to", "not after when.from"}}},
		{name: "nth within after", rule: faults.Rule{When: faults.Trigger{Nth: []int{1, 2}, After: 2}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.nth", "could never fire"}}},
		{name: "nth never a multiple of every", rule: faults.Rule{When: faults.Trigger{Nth: []int{1, 3}, Every: 2}, Do: faults.Action{Drop: true}},
			want: []problem{{"when.nth", "could never fire"}}},
		{name: "lower-case method", rule: faults.Rule{Match: faults.Match{Method: "post"}, Do: faults.Action{Drop: true}},
			want: []problem{{"match.method", "write POST"}}},
		{name: "method with a space", rule: faults.Rule{Match: faults.Match{Method: "GE T"}, Do: faults.Action{Drop: true}},
			want: []problem{{"match.method", "not an HTTP method"}}},
		{name: "bad path", rule: faults.Rule{Match: faults.Match{Path: "/assets/id-{id}"}, Do: faults.Action{Drop: true}},
			want: []problem{{"match.path", "whole segment"}}},
		{name: "bad match header", rule: faults.Rule{Match: faults.Match{Header: map[string]string{"": "x"}}, Do: faults.Action{Drop: true}},
			want: []problem{{"match.header", "not a header name"}}},
		{name: "unnamed query and body fields", rule: faults.Rule{Match: faults.Match{Query: map[string]string{"": "x"}, Body: map[string]string{"": "y"}}, Do: faults.Action{Drop: true}},
			want: []problem{{"match.query", "needs a name"}, {"match.body", "needs a name"}}},
		{name: "bad service", rule: faults.Rule{Service: "the provider", Do: faults.Action{Drop: true}},
			want: []problem{{"service", "not a service name"}}},
		{name: "control character in the name", rule: faults.Rule{Name: "a\nb", Do: faults.Action{Drop: true}},
			want: []problem{{"name", "control characters"}}},
		{name: "every problem at once", rule: faults.Rule{When: faults.Trigger{Probability: 2, Nth: []int{0}}, Do: faults.Action{Status: 700}},
			want: []problem{{"when.nth[0]", "counted from 1"}, {"when.probability", "out of range"}, {"do.status", "200 to 599"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var v *faults.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if len(v.Problems) != len(tc.want) {
				t.Fatalf("problems:\n%v\nwant %d: %v", err, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				p := v.Problems[i]
				if p.Field != w.field || !strings.Contains(p.Message, w.says) {
					t.Errorf("problem %d = %s: %s; want %s: …%s…", i, p.Field, p.Message, w.field, w.says)
				}
			}
		})
	}
}

func TestSetReportsEveryBadRuleAndKeepsTheOldRules(t *testing.T) {
	e := faults.New(1, nil)
	if err := e.Set([]faults.Rule{{Name: "kept", Do: faults.Action{Drop: true}}}); err != nil {
		t.Fatal(err)
	}
	err := e.Set([]faults.Rule{
		{Name: "ok", Do: faults.Action{Status: 500}},
		{Name: "flaky", When: faults.Trigger{Probability: 1.5}, Do: faults.Action{Status: 503}},
		{Do: faults.Action{Status: 500}},
		{Name: "ok", Do: faults.Action{Drop: true}},
		{When: faults.Trigger{Nth: []int{0}}, Do: faults.Action{Drop: true}},
	})
	if err == nil {
		t.Fatal("Set accepted bad rules")
	}
	want := strings.Join([]string{
		`fault 2 "flaky": when.probability: 1.5 is out of range: give a chance above 0 and at most 1 (0.3 fires on about 30% of matching calls)`,
		`fault 4 "ok": name: "ok" already names fault 1; give each fault its own name`,
		`fault 5: when.nth[0]: 0: calls are counted from 1, so the first matching call is nth 1`,
	}, "\n")
	if err.Error() != want {
		t.Fatalf("Set error:\n%s\nwant:\n%s", err, want)
	}
	var v *faults.ValidationError
	if !errors.As(err, &v) || v.Index != 1 || v.Name != "flaky" {
		t.Fatalf("first ValidationError = %+v, want index 1 named flaky", v)
	}
	if got := e.Rules(); len(got) != 1 || got[0].ID != "kept" {
		t.Fatalf("after a failed Set the rules are %+v, want the old one", got)
	}
}

func TestOAuthErrorCodesAreSortedAndValid(t *testing.T) {
	codes := faults.OAuthErrorCodes()
	for i, c := range codes {
		if i > 0 && codes[i-1] >= c {
			t.Errorf("codes out of order at %q", c)
		}
		if err := (faults.Rule{Do: faults.Action{OAuthError: c}}).Validate(); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	if len(codes) < 10 {
		t.Fatalf("only %d codes: %v", len(codes), codes)
	}
}
