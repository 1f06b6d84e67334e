package mockpayap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// providerAsset is the Asset model of the Payap guide, as a provider sends
// it: four required strings, the balance in minor units.
type providerAsset struct {
	ID          *string `json:"id"`
	UserID      *string `json:"userId"`
	Balance     *string `json:"balance"`
	Description *string `json:"description"`
}

// check enforces the documented model, so a partner sees exactly which
// field their provider gets wrong.
func (a providerAsset) check() error {
	for _, f := range []struct {
		name string
		v    *string
	}{{"id", a.ID}, {"userId", a.UserID}, {"balance", a.Balance}, {"description", a.Description}} {
		if f.v == nil {
			return fmt.Errorf("asset field %q is missing (all four of id, userId, balance, description are required strings)", f.name)
		}
	}
	if *a.ID == "" {
		return errors.New("asset id is empty")
	}
	if b := *a.Balance; b == "" || strings.Trim(b, "0123456789") != "" {
		return fmt.Errorf("asset %s balance %q must be a string of digits in minor units, e.g. \"5000\"", *a.ID, b)
	}
	return nil
}

// fetchAssets calls GET /assets right after the token exchange: one wallet
// entry per asset returned.
func (p *payap) fetchAssets(ctx context.Context, at AssetType, access string) ([]WalletEntry, *apiError) {
	resp, err := p.getResource(ctx, at.ProviderURL+"/assets", access)
	if err != nil {
		return nil, providerUnavailable(at, err)
	}
	if resp.status != http.StatusOK {
		return nil, badProviderStatus(at, "GET /assets", resp)
	}
	var assets []providerAsset
	if err := json.Unmarshal(resp.body, &assets); err != nil {
		return nil, newError(http.StatusBadGateway, "provider_bad_response", "GET /assets must answer a bare JSON array of assets: "+err.Error()).with("assetType", at.Name)
	}
	out := make([]WalletEntry, 0, len(assets))
	for _, a := range assets {
		if err := a.check(); err != nil {
			return nil, newError(http.StatusBadGateway, "provider_bad_response", "GET /assets: "+err.Error()).with("assetType", at.Name)
		}
		out = append(out, WalletEntry{AssetID: *a.ID, Description: *a.Description})
	}
	return out, nil
}

func badProviderStatus(at AssetType, what string, resp providerResponse) *apiError {
	return newError(http.StatusBadGateway, "provider_error",
		fmt.Sprintf("%s at the provider answered %d: %s", what, resp.status, truncate(string(resp.body), 200))).
		with("assetType", at.Name).with("providerStatus", resp.status)
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// handleListWallet lists the user's wallet with live balances: every entry
// is fetched from its provider now (GET /assets/{assetId}), never cached.
func (p *payap) handleListWallet(w http.ResponseWriter, r *http.Request, u User) {
	entries := p.store.Entries(u.ID)
	items := make([]walletItem, len(entries))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			items[i] = p.liveEntry(r.Context(), e)
		}()
	}
	wg.Wait()
	httpx.WriteJSON(w, http.StatusOK, list[walletItem]{Items: items})
}

// handleGetWalletEntry returns one entry with its live balance. When the
// balance cannot be had, the entry still answers 200 and says why.
func (p *payap) handleGetWalletEntry(w http.ResponseWriter, r *http.Request, u User) {
	id := pathVar(r, "id")
	e, ok := p.store.Entry(id)
	if !ok || e.UserID != u.ID {
		writeError(w, errNotFound("wallet_entry", id))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p.liveEntry(r.Context(), e))
}

// liveEntry fetches an entry's balance from its provider.
func (p *payap) liveEntry(ctx context.Context, e WalletEntry) walletItem {
	item := walletItem{WalletEntry: e, Status: EntryUnavailable}
	c, ok := p.store.Connection(e.ConnectionID)
	if !ok {
		item.Problem = &Problem{Code: "connection_not_found", Message: "the entry's connection is gone"}
		return item
	}
	item.CanPay = c.CanPay
	if c.Status == StatusReconnectRequired {
		item.Status = StatusReconnectRequired
		item.Problem = reconnectProblem(c)
		return item
	}
	at, _ := p.store.AssetType(c.AssetType)
	resp, err := p.callProvider(ctx, c, at.ProviderURL+"/assets/"+url.PathEscape(e.AssetID))
	switch {
	case errors.Is(err, errReconnect):
		c, _ = p.store.Connection(e.ConnectionID)
		item.Status, item.CanPay, item.Problem = StatusReconnectRequired, false, reconnectProblem(c)
		return item
	case err != nil:
		var ae *apiError
		if errors.As(err, &ae) {
			item.Problem = &Problem{Code: ae.Code, Message: ae.Message}
		} else {
			item.Problem = &Problem{Code: "provider_unavailable", Message: "the provider could not be reached: " + err.Error()}
		}
		return item
	}
	if now, ok := p.store.Connection(e.ConnectionID); ok {
		item.CanPay = now.CanPay // a refresh during the call may have narrowed the scope
	}
	switch resp.status {
	case http.StatusOK:
	case http.StatusNotFound:
		item.Problem = &Problem{Code: "asset_not_found", Message: "the provider no longer knows asset " + e.AssetID}
		return item
	case http.StatusForbidden:
		item.Problem = &Problem{Code: "insufficient_scope", Message: "the grant lacks assets:read; reconnect to grant it (" + resp.challenge + ")"}
		return item
	default:
		ae := badProviderStatus(at, "GET /assets/"+e.AssetID, resp)
		item.Problem = &Problem{Code: ae.Code, Message: ae.Message}
		return item
	}
	var a providerAsset
	if err := json.Unmarshal(resp.body, &a); err != nil {
		item.Problem = &Problem{Code: "provider_bad_response", Message: "GET /assets/" + e.AssetID + " is not an Asset object: " + err.Error()}
		return item
	}
	if err := a.check(); err != nil {
		item.Problem = &Problem{Code: "provider_bad_response", Message: "GET /assets/" + e.AssetID + ": " + err.Error()}
		return item
	}
	item.Status, item.Balance, item.Problem = EntryAvailable, a.Balance, nil
	item.Description = *a.Description
	return item
}

func reconnectProblem(c Connection) *Problem {
	if c.Problem != nil {
		return &Problem{Code: "reconnect_required", Message: c.Problem.Message + "; POST /api/connections/" + c.ID + "/reconnect"}
	}
	return &Problem{Code: "reconnect_required", Message: "connect again: POST /api/connections/" + c.ID + "/reconnect"}
}
