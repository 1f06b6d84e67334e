package mockcentrapay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// The wallet operator (spend contract (3)): a payment of a type registered
// through Payap (Config.ThirdPartyAssetTypes) that the Payap backend
// recorded with the provider's transactionId is refunded by asking the
// wallet operator, which refunds it at the provider:
//
//	POST {WalletOperatorURL}/centrapay/refunds
//	Authorization: <JWT>   (bare, ES256 over Centrapay's keys, aud = the
//	                        operator's scheme://host[:port],
//	                        request_body_sha256 = hex SHA-256 of the body)
//	{"refundId": "...", "paymentTransactionId": "...", "paymentRequestId": "...",
//	 "assetType": "payap-example.test", "amount": "500", "currency": "NZD"}
//
// answered 200 {"status":"successful"} or 200 {"status":"failed",
// "failureReason":"..."}. refundId is the refund activity's id and the
// share's position in strategy.refunds ("<activityId>-1"): the same for
// every retry of one refund, so the operator (idempotent on refundId) never
// refunds twice.
//
// Outcomes, and what they leave behind:
//   - successful: the refund is committed;
//   - failed: nothing is committed, the reservation is released, and the
//     next attempt with the same externalRef is a new refund (new refundId);
//   - nothing done (no operator configured, a connection that could not be
//     made, 401, any other 4xx): nothing is committed, the reservation is
//     released, and the next attempt reuses the refundId;
//   - unknown (a timeout or a broken connection once the request was sent,
//     5xx, a 200 without a final status): the refund is in doubt: its money
//     stays reserved and its externalRef bound to its amount until a retry
//     with the same externalRef gets a final answer (same refundId).
const (
	// walletOperatorTimeout bounds one call when Deps.HTTPClient is nil.
	walletOperatorTimeout = 10 * time.Second
	// walletOperatorRefundsPath is appended to Config.WalletOperatorURL.
	walletOperatorRefundsPath = "/centrapay/refunds"
	// walletOperatorMaxAnswer is how much of an answer is read.
	walletOperatorMaxAnswer = 64 << 10
)

// Provider refund statuses (§2.7): refunds are synchronous, never pending.
const (
	refundStatusSuccessful = "successful"
	refundStatusFailed     = "failed"
)

// overRefundReasons are provider failure reasons that mean the amount is
// more than the provider will refund; they answer INVALID_AMOUNT. The
// provider contract has none (C27), so the likely names are all accepted.
var overRefundReasons = []string{
	"INVALID_AMOUNT", "ALREADY_REFUNDED", "OVER_REFUND", "REFUND_EXCEEDS_PAYMENT", "AMOUNT_EXCEEDS_REFUNDABLE",
	"REFUND_AMOUNT_EXCEEDED", "EXCEEDS_REFUNDABLE_AMOUNT", "INSUFFICIENT_REFUNDABLE_AMOUNT",
}

// walletOperator calls the wallet operator's refund endpoint.
type walletOperator struct {
	url      string // the POST target; "" when no wallet operator is configured
	audience string // the JWT aud: the operator's scheme://host[:port]
	signer   *payapjwt.Signer
	client   *http.Client
	log      *slog.Logger
}

// newWalletOperator returns the client of the wallet operator at base (""
// when there is none). client nil gets a default one with a timeout;
// redirects are never followed.
func newWalletOperator(base string, signer *payapjwt.Signer, client *http.Client, log *slog.Logger) *walletOperator {
	if client == nil {
		client = &http.Client{Timeout: walletOperatorTimeout}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o := &walletOperator{signer: signer, client: &c, log: log}
	if base != "" {
		if aud, err := webhookAudience(base); err == nil {
			o.url, o.audience = strings.TrimSuffix(base, "/")+walletOperatorRefundsPath, aud
		}
	}
	return o
}

// walletOperatorRefund is the body of POST /centrapay/refunds.
type walletOperatorRefund struct {
	RefundID             string `json:"refundId"`
	PaymentTransactionID string `json:"paymentTransactionId"`
	PaymentRequestID     string `json:"paymentRequestId"`
	AssetType            string `json:"assetType"`
	Amount               Amount `json:"amount"`
	Currency             string `json:"currency"`
}

// walletOperatorCall is one refund share to send, its body marshalled once.
type walletOperatorCall struct {
	refundID  string
	assetType string
	body      []byte
}

// outcomeKind is what became of one call.
type outcomeKind int

const (
	outcomeSkipped    outcomeKind = iota // not called: an earlier share did not succeed
	outcomeSuccessful                    // the provider refunded
	outcomeFailed                        // the provider refused: failureReason
	outcomeNotDone                       // the operator did nothing (see unreachable)
	outcomeUnknown                       // the refund may or may not have happened
)

// walletOperatorOutcome is the result of one call.
type walletOperatorOutcome struct {
	kind          outcomeKind
	failureReason string // outcomeFailed
	detail        string // outcomeNotDone, outcomeUnknown: what happened, for the reason
	unreachable   bool   // outcomeNotDone: the operator could not be reached (vs refused the call)
}

// refund sends calls in order and stops at the first that does not
// succeed; the rest are outcomeSkipped. ctx should not be the merchant's
// request context: a merchant who hangs up must not leave a refund in doubt.
func (o *walletOperator) refund(ctx context.Context, calls []walletOperatorCall) []walletOperatorOutcome {
	out := make([]walletOperatorOutcome, len(calls))
	for i, call := range calls {
		out[i] = o.call(ctx, call)
		o.log.Info("wallet operator refund", "refundId", call.refundID, "assetType", call.assetType,
			"outcome", out[i].kind.String(), "failureReason", out[i].failureReason, "detail", out[i].detail)
		if out[i].kind != outcomeSuccessful {
			break
		}
	}
	return out
}

func (k outcomeKind) String() string {
	switch k {
	case outcomeSuccessful:
		return "successful"
	case outcomeFailed:
		return "failed"
	case outcomeNotDone:
		return "not done"
	case outcomeUnknown:
		return "unknown"
	}
	return "skipped"
}

// call makes one POST /centrapay/refunds.
func (o *walletOperator) call(ctx context.Context, call walletOperatorCall) walletOperatorOutcome {
	notDone := func(unreachable bool, detail string) walletOperatorOutcome {
		return walletOperatorOutcome{kind: outcomeNotDone, unreachable: unreachable, detail: detail}
	}
	unknown := func(detail string) walletOperatorOutcome {
		return walletOperatorOutcome{kind: outcomeUnknown, detail: detail}
	}
	if o.url == "" || o.signer == nil {
		return notDone(true, "no wallet operator is configured: set centrapay.wallet_operator_url")
	}
	token, err := o.signer.Sign(o.audience, call.body)
	if err != nil {
		o.log.Error("wallet operator refund: the JWT could not be signed", "error", err)
		return notDone(true, "Centrapay could not sign its request")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(call.body))
	if err != nil {
		return notDone(true, "the wallet operator URL is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	resp, err := o.client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return notDone(true, "no connection could be made")
		}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return unknown("no answer in time")
		}
		return unknown("the connection failed")
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, walletOperatorMaxAnswer))
	switch {
	case resp.StatusCode == http.StatusOK:
		var a struct {
			Status        string `json:"status"`
			FailureReason string `json:"failureReason"`
		}
		if json.Unmarshal(answer, &a) != nil {
			return unknown("it answered 200 with a body that is not JSON")
		}
		switch a.Status {
		case refundStatusSuccessful:
			return walletOperatorOutcome{kind: outcomeSuccessful}
		case refundStatusFailed:
			if strings.TrimSpace(a.FailureReason) == "" {
				a.FailureReason = "no failureReason given"
			}
			return walletOperatorOutcome{kind: outcomeFailed, failureReason: a.FailureReason}
		}
		return unknown(fmt.Sprintf("it answered 200 with status %q instead of successful or failed", a.Status))
	case resp.StatusCode == http.StatusUnauthorized:
		return notDone(true, "it refused Centrapay's JWT: "+operatorErrorDetail(resp.StatusCode, answer))
	case resp.StatusCode >= 500:
		return unknown("it answered " + operatorErrorDetail(resp.StatusCode, answer))
	}
	return notDone(false, "it answered "+operatorErrorDetail(resp.StatusCode, answer))
}

// operatorErrorDetail names an error answer: its status and the code of
// Payap's {"error":{"code":...}} body when there is one.
func operatorErrorDetail(status int, answer []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	out := fmt.Sprintf("%d", status)
	if json.Unmarshal(answer, &e) == nil && e.Error.Code != "" && len(e.Error.Code) <= 64 {
		out += " " + e.Error.Code
	}
	return out
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// refundOutcomeError is the merchant's answer to a call that did not
// succeed: the provider's failure reasons mapped to Centrapay's codes, and
// REFUND_DECLINED when the wallet operator could not be reached or refused
// the call. void says whether a void is answered (for what to retry).
func refundOutcomeError(assetType string, void bool, o walletOperatorOutcome) *apiError {
	retry, finish := "refund", "retry the refund (same externalRef, same amount) to finish it"
	if void {
		retry, finish = "void", "void the payment request again to finish it"
	}
	switch o.kind {
	case outcomeFailed:
		reason := "the provider of " + assetType + " refused the refund: " + o.failureReason
		switch {
		case o.failureReason == "PARTIAL_REFUNDS_NOT_ALLOWED":
			return errBusiness(http.StatusForbidden, "PARTIAL_REFUNDS_NOT_ALLOWED", reason)
		case o.failureReason == "REFUND_WINDOW_EXCEEDED":
			return errBusiness(http.StatusForbidden, "REFUND_WINDOW_EXCEEDED", reason)
		case slices.Contains(overRefundReasons, o.failureReason):
			return errBusiness(http.StatusForbidden, "INVALID_AMOUNT", reason)
		}
		return errBusiness(http.StatusForbidden, "REFUND_DECLINED", reason)
	case outcomeUnknown:
		return errBusiness(http.StatusForbidden, "REFUND_DECLINED",
			"the wallet operator could not be reached ("+o.detail+"), so whether the provider of "+assetType+
				" refunded is not known; nothing was committed and the amount stays reserved: "+finish)
	}
	if o.unreachable {
		return errBusiness(http.StatusForbidden, "REFUND_DECLINED",
			"the wallet operator could not be reached ("+o.detail+"); nothing was refunded: retry the "+retry+" later")
	}
	return errBusiness(http.StatusForbidden, "REFUND_DECLINED",
		"the wallet operator refused the refund of "+assetType+" ("+o.detail+"); nothing was refunded")
}
