package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/payap/payap-sandbox/internal/httpx"
)

type balanceRequest struct {
	// Balance is in minor units: a string of digits ("5000") or a JSON
	// integer (5000).
	Balance json.RawMessage `json:"balance"`
}

// handleSetBalance sets a provider asset's balance: {"balance": "5000"}.
func (c *control) handleSetBalance(w http.ResponseWriter, r *http.Request) {
	assetID := pathVar(r, "assetId")
	var req balanceRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	balance, e := parseBalance(req.Balance)
	if e != nil {
		writeError(w, e)
		return
	}
	if err := c.b.SetBalance(assetID, balance); err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			writeError(w, newError(http.StatusNotFound, "asset_not_found", "the mock provider has no asset "+strconv.Quote(assetID)+"; check the asset id (GET /assets at the provider lists a user's assets)"))
		case errors.Is(err, ErrInvalid):
			writeError(w, newError(http.StatusBadRequest, "invalid_balance", "the provider refused the balance: "+err.Error()).field("balance"))
		default:
			c.internal(w, r, "set the balance", err)
		}
		return
	}
	httpx.WriteJSON(w, http.StatusOK, balanceResponse{AssetID: assetID, Balance: strconv.FormatInt(balance, 10)})
}

// parseBalance reads a balance in minor units from a JSON string of digits
// or a JSON integer; never a fraction, a sign or an exponent.
func parseBalance(raw json.RawMessage) (int64, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, newError(http.StatusBadRequest, "missing_field", `balance is required: the new balance in minor units, as a string of digits such as "5000"`).field("balance")
	}
	digits := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &digits); err != nil {
			return 0, newError(http.StatusBadRequest, "invalid_balance", "balance is not a valid JSON string").field("balance")
		}
	}
	bad := newError(http.StatusBadRequest, "invalid_balance",
		`balance must be a whole, non-negative number of minor units: a string of digits such as "5000" (cents: 50.00), or the JSON integer 5000`).field("balance")
	if digits == "" {
		return 0, bad
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, newError(http.StatusBadRequest, "invalid_balance", "balance "+digits+" is too large; the most is "+strconv.FormatInt(1<<63-1, 10)).field("balance")
	}
	return n, nil
}

func (c *control) handleRevokeGrants(w http.ResponseWriter, r *http.Request) {
	username := pathVar(r, "username")
	n, err := c.b.RevokeGrants(username)
	if err != nil {
		c.userError(w, r, username, "revoke the grants", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, revokeResponse{Username: username, Revoked: n})
}

func (c *control) handleExpireTokens(w http.ResponseWriter, r *http.Request) {
	username := pathVar(r, "username")
	n, err := c.b.ExpireTokens(username)
	if err != nil {
		c.userError(w, r, username, "expire the tokens", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, expireResponse{Username: username, Expired: n})
}

func (c *control) userError(w http.ResponseWriter, r *http.Request, username, op string, err error) {
	if errors.Is(err, ErrNotFound) {
		writeError(w, newError(http.StatusNotFound, "user_not_found", "the mock provider has no user "+strconv.Quote(username)+"; use a username it knows (the demo user is demo, scenarios add their own)"))
		return
	}
	c.internal(w, r, op, err)
}
