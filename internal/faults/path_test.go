package faults

import (
	"strings"
	"testing"
)

func TestPathTemplate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		template string
		match    []string
		miss     []string
	}{
		{
			name:     "exact",
			template: "/token",
			match:    []string{"/token"},
			miss:     []string{"/", "/token/", "/tokens", "/tok", "/x/token", ""},
		},
		{
			name:     "root",
			template: "/",
			match:    []string{"/"},
			miss:     []string{"", "/a"},
		},
		{
			name:     "trailing slash is exact",
			template: "/assets/",
			match:    []string{"/assets/"},
			miss:     []string{"/assets", "/assets/1"},
		},
		{
			name:     "placeholder takes one segment",
			template: "/assets/{assetId}",
			match:    []string{"/assets/12345", "/assets/x-y_z"},
			miss:     []string{"/assets", "/assets/", "/assets/1/2", "/assets/1/", "/asset/1", "/assetsX/1"},
		},
		{
			name:     "placeholders in the middle",
			template: "/api/payment-requests/{id}/refunds/{refundId}",
			match:    []string{"/api/payment-requests/pr1/refunds/r1"},
			miss:     []string{"/api/payment-requests/pr1/refunds", "/api/payment-requests//refunds/r1", "/api/payment-requests/pr1/voids/r1"},
		},
		{
			name:     "placeholder first",
			template: "/{tenant}/assets",
			match:    []string{"/t1/assets"},
			miss:     []string{"//assets", "/t1/assets/1", "/assets"},
		},
		{
			name:     "rest below a prefix",
			template: "/api/**",
			match:    []string{"/api/", "/api/wallet", "/api/connections/conn_1/reconnect"},
			miss:     []string{"/api", "/apis/x", "/x/api/y"},
		},
		{
			name:     "everything",
			template: "/**",
			match:    []string{"/", "/a", "/a/b/c"},
			miss:     []string{""},
		},
		{
			name:     "placeholder then rest",
			template: "/assets/{assetId}/**",
			match:    []string{"/assets/1/", "/assets/1/history/2"},
			miss:     []string{"/assets/1", "/assets//x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := compilePath(tc.template)
			if err != nil {
				t.Fatalf("compilePath(%q): %v", tc.template, err)
			}
			for _, path := range tc.match {
				if !p.match(path) {
					t.Errorf("%q does not match %q", tc.template, path)
				}
			}
			for _, path := range tc.miss {
				if p.match(path) {
					t.Errorf("%q matches %q", tc.template, path)
				}
			}
		})
	}
}

func TestPathTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		template string
		want     string
	}{
		{"relative", "assets/{id}", "must start with /"},
		{"query", "/assets?x=1", "match.query"},
		{"placeholder inside a segment", "/assets/id-{id}", "whole segment"},
		{"unclosed placeholder", "/assets/{id", "whole segment"},
		{"empty placeholder", "/assets/{}", "whole segment"},
		{"bad placeholder name", "/assets/{asset-id}", "letters, digits and _"},
		{"star in the middle", "/api/**/x", "final /**"},
		{"single star", "/api/*", "final /**"},
		{"stars glued to text", "/api**", "final /**"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compilePath(tc.template)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("compilePath(%q) = %v, want an error saying %q", tc.template, err, tc.want)
			}
		})
	}
}

func TestPathMatchDoesNotAllocate(t *testing.T) {
	p, err := compilePath("/api/payment-requests/{id}/refunds/**")
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		p.match("/api/payment-requests/pr_1/refunds/r_1")
		p.match("/api/payment-requests/pr_1")
	})
	if allocs != 0 {
		t.Fatalf("match allocates %v times per run", allocs)
	}
}
