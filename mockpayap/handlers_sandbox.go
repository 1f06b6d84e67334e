package mockpayap

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payap/payap-sandbox/internal/httpx"
	"github.com/payap/payap-sandbox/internal/payapjwt"
)

// POST /api/sandbox/jwt-probe: a sandbox extension for partners (§6.2
// "fault knobs"). It sends one request to an asset type's provider,
// GET /get, POST /refund or POST /cancel, signed by Payap's real key with
// a chosen fault, and shows both sides, so a partner sees whether their
// provider rejects what it must. Documented choices:
//
//   - Faults: none; wrong_aud (aud is the endpoint's URL instead of the base
//     URL, the C14 confusion); expired (iat two lifetimes ago); tampered_body
//     (request_body_sha256 of other bytes); no_body_hash (the claim left
//     out); unknown_kid (a kid the JWKS does not have); wrong_key (a
//     throwaway key under the real kid); alg_none (unsigned); hs256_public_key
//     (HS256 keyed with the public key's PEM: algorithm confusion);
//     other_alg (ES384); string_dates (iat and exp as numeric strings, the
//     docs' style, C13: to be tolerated).
//   - expect says what a strict provider does: accept for none and
//     string_dates, and for tampered_body and no_body_hash on GET /get (no
//     body, so no hash to check); reject otherwise. verdict is pass when a
//     rejection is a 401 or 403 and an acceptance is anything else under
//     500.
//   - Without transactionId a random one is used (ptx_probe_…); without
//     body, refund sends {currency NZD, amount "1", paymentTransactionId,
//     transactionId prf_probe_…} and cancel {transactionId, failureReason
//     CANCELLED_BY_MERCHANT}. A body is sent byte for byte as given. With a
//     real pending transactionId and fault none, cancel really cancels.
//   - The provider's answer is shown as is, its body cut at 64 KiB.
type jwtProbe struct {
	AssetType     string          `json:"assetType"`
	Endpoint      string          `json:"endpoint"`
	Fault         string          `json:"fault"`
	TransactionID string          `json:"transactionId"`
	Body          json.RawMessage `json:"body"`
}

// probeResult is what the probe sent and what the provider answered.
type probeResult struct {
	Fault    string       `json:"fault"`
	Expect   string       `json:"expect"`
	Verdict  string       `json:"verdict"`
	Request  probeRequest `json:"request"`
	Response probeReply   `json:"response"`
}

type probeRequest struct {
	Method        string  `json:"method"`
	URL           string  `json:"url"`
	Authorization string  `json:"authorization"`
	Body          *string `json:"body"` // null on GET
}

type probeReply struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// probeFaults maps the probe's fault names to the signer's faults.
var probeFaults = map[string]func(aud string) payapjwt.Fault{
	"none":             func(string) payapjwt.Fault { return nil },
	"wrong_aud":        func(aud string) payapjwt.Fault { return payapjwt.WrongAudience(aud) },
	"expired":          func(string) payapjwt.Fault { return payapjwt.Expired() },
	"tampered_body":    func(string) payapjwt.Fault { return payapjwt.TamperBody() },
	"no_body_hash":     func(string) payapjwt.Fault { return payapjwt.NoBodyHash() },
	"unknown_kid":      func(string) payapjwt.Fault { return payapjwt.UnknownKID() },
	"wrong_key":        func(string) payapjwt.Fault { return payapjwt.WrongKey() },
	"alg_none":         func(string) payapjwt.Fault { return payapjwt.OtherAlgorithm(jose.SignatureAlgorithm("none")) },
	"hs256_public_key": func(string) payapjwt.Fault { return payapjwt.OtherAlgorithm(jose.HS256) },
	"other_alg":        func(string) payapjwt.Fault { return payapjwt.OtherAlgorithm(jose.ES384) },
	"string_dates":     func(string) payapjwt.Fault { return payapjwt.StringDates() },
}

func probeFaultNames() string {
	names := make([]string, 0, len(probeFaults))
	for n := range probeFaults {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

const maxProbeReply = 64 << 10

func (p *payap) handleJWTProbe(w http.ResponseWriter, r *http.Request, u User) {
	var req jwtProbe
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	for _, f := range []struct{ name, v string }{{"assetType", req.AssetType}, {"endpoint", req.Endpoint}} {
		if e := required(f.name, f.v); e != nil {
			writeError(w, e)
			return
		}
	}
	at, ok := p.store.AssetType(req.AssetType)
	if !ok {
		writeError(w, newError(http.StatusBadRequest, "unknown_asset_type", "no asset type "+req.AssetType+" is registered; GET /api/asset-types lists them").with("field", "assetType"))
		return
	}
	if req.Fault == "" {
		req.Fault = "none"
	}
	fault, ok := probeFaults[req.Fault]
	if !ok {
		writeError(w, newError(http.StatusBadRequest, "invalid_value", "fault "+req.Fault+" is not one of "+probeFaultNames()).with("field", "fault"))
		return
	}
	hasBody := len(bytes.TrimSpace(req.Body)) > 0 && string(bytes.TrimSpace(req.Body)) != "null"
	if hasBody && bytes.TrimSpace(req.Body)[0] != '{' {
		writeError(w, newError(http.StatusBadRequest, "invalid_value", "body must be a JSON object: the request body to send").with("field", "body"))
		return
	}
	txn := strings.TrimSpace(req.TransactionID)
	if txn == "" {
		txn = randomValue("ptx_probe_")[:32]
	}
	var (
		method = http.MethodPost
		target = at.ProviderURL + "/" + req.Endpoint
		body   []byte
	)
	switch req.Endpoint {
	case "get":
		if hasBody {
			writeError(w, newError(http.StatusBadRequest, "invalid_value", "GET /get has no body; leave body out").with("field", "body"))
			return
		}
		method, target = http.MethodGet, at.ProviderURL+"/get?transactionId="+url.QueryEscape(txn)
	case "refund":
		body, _ = json.Marshal(refundRequest{Currency: "NZD", Amount: "1", PaymentTransactionID: txn, TransactionID: randomValue("prf_probe_")[:32]})
	case "cancel":
		body, _ = json.Marshal(cancelRequest{TransactionID: txn, FailureReason: cancelMerchant})
	default:
		writeError(w, newError(http.StatusBadRequest, "invalid_value", "endpoint "+req.Endpoint+" is not one of get, refund, cancel").with("field", "endpoint"))
		return
	}
	if hasBody {
		body = []byte(req.Body)
	}
	if p.signer == nil {
		writeError(w, newError(http.StatusServiceUnavailable, "signer_unavailable", "the mock Payap was started without a signer (Deps.Signer), so it cannot sign JWTs"))
		return
	}
	jwt, err := p.signer.SignWith(at.ProviderURL, body, fault(at.ProviderURL+"/"+req.Endpoint))
	if err != nil {
		writeError(w, newError(http.StatusServiceUnavailable, "signer_unavailable", "the JWT could not be signed: "+err.Error()))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.ProviderTimeout)
	defer cancel()
	resp, err := p.resource(ctx, method, target, jwt, body)
	if err != nil {
		writeError(w, providerUnavailable(at, err))
		return
	}
	out := probeResult{
		Fault:   req.Fault,
		Expect:  probeExpect(req.Fault, req.Endpoint),
		Request: probeRequest{Method: method, URL: target, Authorization: jwt},
		Response: probeReply{
			Status:  resp.status,
			Headers: map[string]string{},
			Body:    string(resp.body[:min(len(resp.body), maxProbeReply)]),
		},
	}
	if body != nil {
		s := string(body)
		out.Request.Body = &s
	}
	for k, v := range resp.header {
		out.Response.Headers[k] = strings.Join(v, ", ")
	}
	out.Verdict = probeVerdict(out.Expect, resp.status)
	httpx.WriteJSON(w, http.StatusOK, out)
}

// probeExpect is what a strict provider does with a fault.
func probeExpect(fault, endpoint string) string {
	switch {
	case fault == "none", fault == "string_dates":
		return "accept"
	case endpoint == "get" && (fault == "tampered_body" || fault == "no_body_hash"):
		return "accept"
	}
	return "reject"
}

func probeVerdict(expect string, status int) string {
	rejected := status == http.StatusUnauthorized || status == http.StatusForbidden
	if expect == "reject" && rejected || expect == "accept" && !rejected && status < 500 {
		return "pass"
	}
	return "fail"
}
