package mockcentrapay

import (
	"net/http"
	"strings"
)

// Connection ties one POS sale to a consumer wallet (§4.6).
//
// Documented choices:
//   - Ids are unprefixed 22-character base58 ids: the object-ids page lists
//     no connection prefix (one example uses cn_9asd9k19, another 1234).
//   - status is created or authorized only (C7: payment request examples
//     show connectionStatus "active"; the Connection model's enum wins). The
//     authorize example answers status "created"; the mock answers
//     "authorized", which is what the call does.
//   - test is the merchant's test flag (the create example leaves it out;
//     the model has it).
//   - C8: the authorize response adds updatedBy, updatedAt, walletId and
//     walletName and keeps merchantId and test (its example drops them).
//   - Authorizing needs an account-owner key of the account that owns the
//     wallet; an unknown wallet or another account's is 403 Forbidden [GAP].
//     Authorizing again with the same wallet answers 200 with the same body
//     (nothing changes); with another wallet 403 CONNECTION_ALREADY_AUTHORIZED
//     [GAP].
//   - C29: the summary is public (no X-Api-Key), as its example shows. The
//     docs' summary example omits createdAt; the mock includes it, as the
//     digest's field list does.
//   - latest-payment-request answers only the account that authorized the
//     connection; before authorization, for anyone else and while no payment
//     request carries the connection it is 403 Forbidden [GAP].
type Connection struct {
	ID                   string     `json:"id"`
	CreatedBy            string     `json:"createdBy"`
	CreatedByAccountName string     `json:"createdByAccountName"`
	CreatedAt            Timestamp  `json:"createdAt"`
	Status               string     `json:"status"`
	URL                  string     `json:"url"`
	MerchantID           string     `json:"merchantId"`
	Test                 bool       `json:"test"`
	UpdatedBy            string     `json:"updatedBy,omitempty"`
	UpdatedAt            *Timestamp `json:"updatedAt,omitempty"`
	WalletID             string     `json:"walletId,omitempty"`
	WalletName           string     `json:"walletName,omitempty"`

	// CreatedByAccountID is the account of the key that created the
	// connection (CONNECTION_CREATED_BY_MISMATCH compares it).
	CreatedByAccountID string `json:"-"`
	// AuthorizedByAccountID is the account that authorized it: the one that
	// may read its latest payment request.
	AuthorizedByAccountID string `json:"-"`
}

// Connection statuses (§4.6, C7).
const (
	ConnectionCreated    = "created"
	ConnectionAuthorized = "authorized"
)

// connectionSummary is the public view of a connection.
type connectionSummary struct {
	ID                   string    `json:"id"`
	Status               string    `json:"status"`
	URL                  string    `json:"url"`
	MerchantID           string    `json:"merchantId"`
	CreatedByAccountName string    `json:"createdByAccountName"`
	CreatedAt            Timestamp `json:"createdAt"`
}

func cloneConnection(cn Connection) Connection {
	if cn.UpdatedAt != nil {
		at := *cn.UpdatedAt
		cn.UpdatedAt = &at
	}
	return cn
}

// connection returns a connection by id.
func (s *MemStore) connection(id string) (Connection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connectionLocked(id)
}

// connectionLocked is connection for callers that hold s.mu.
func (s *MemStore) connectionLocked(id string) (Connection, bool) {
	cn, ok := s.merchants.connections[id]
	return cloneConnection(cn), ok
}

func (s *MemStore) addConnection(cn Connection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merchants.connections[cn.ID] = cloneConnection(cn)
}

// authorizeConnection authorizes connection id for a wallet, once: it
// answers the connection as it now stands, whether it was authorized by
// this call, and false for ok when there is no such connection.
func (s *MemStore) authorizeConnection(id string, wallet Wallet, accountID, by string, at Timestamp) (cn Connection, changed, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cn, ok = s.merchants.connections[id]
	if !ok {
		return Connection{}, false, false
	}
	if cn.Status == ConnectionAuthorized {
		return cloneConnection(cn), false, true
	}
	cn.Status = ConnectionAuthorized
	cn.UpdatedBy, cn.UpdatedAt = by, &at
	cn.WalletID, cn.WalletName = wallet.ID, wallet.Name
	cn.AuthorizedByAccountID = accountID
	s.merchants.connections[id] = cloneConnection(cn)
	return cloneConnection(cn), true, true
}

// ---------------------------------------------------------------------------
// Handlers.

// handleCreateConnection is POST /api/connections (merchant keys): the
// merchant must be the caller's.
func (c *centrapay) handleCreateConnection(w http.ResponseWriter, r *http.Request, p principal) {
	var req struct {
		MerchantID *string `json:"merchantId"`
	}
	if e := mcReadJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.MerchantID == nil || strings.TrimSpace(*req.MerchantID) == "" {
		writeError(w, errBadRequest("merchantId is required"))
		return
	}
	m, ok := c.store.merchant(*req.MerchantID)
	if !ok || m.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	id := c.store.ids.id("")
	cn := Connection{
		ID:                   id,
		CreatedBy:            p.crn(),
		CreatedByAccountName: p.Account.Name,
		CreatedAt:            ts(c.clock.Now()),
		Status:               ConnectionCreated,
		URL:                  strings.TrimSuffix(c.cfg.AppURL, "/") + "/connect/" + id,
		MerchantID:           m.ID,
		Test:                 m.Test,
		CreatedByAccountID:   p.Account.ID,
	}
	c.store.addConnection(cn)
	writeJSON(w, cn)
}

// handleAuthorizeConnection is POST /api/connections/{connectionId}/authorize:
// an account-owner key of the wallet's account.
func (c *centrapay) handleAuthorizeConnection(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.hasRole(RoleAccountOwner) {
		writeError(w, errForbidden())
		return
	}
	var req struct {
		WalletID *string `json:"walletId"`
	}
	if e := mcReadJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.WalletID == nil || strings.TrimSpace(*req.WalletID) == "" {
		writeError(w, errBadRequest("walletId is required"))
		return
	}
	id := pathVar(r, "connectionId")
	if _, ok := c.store.connection(id); !ok {
		writeError(w, errForbidden())
		return
	}
	wallet, ok := c.store.wallet(*req.WalletID)
	if !ok || wallet.AccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	cn, changed, ok := c.store.authorizeConnection(id, wallet, p.Account.ID, p.crn(), ts(c.clock.Now()))
	switch {
	case !ok:
		writeError(w, errForbidden())
	case !changed && cn.WalletID != wallet.ID:
		writeError(w, errBusiness(http.StatusForbidden, "CONNECTION_ALREADY_AUTHORIZED",
			"the connection is already authorized by wallet "+cn.WalletID))
	default:
		writeJSON(w, cn)
	}
}

// handleConnectionSummary is GET /api/connections/{connectionId}/summary:
// public (C29).
func (c *centrapay) handleConnectionSummary(w http.ResponseWriter, r *http.Request) {
	cn, ok := c.store.connection(pathVar(r, "connectionId"))
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, connectionSummary{
		ID: cn.ID, Status: cn.Status, URL: cn.URL, MerchantID: cn.MerchantID,
		CreatedByAccountName: cn.CreatedByAccountName, CreatedAt: cn.CreatedAt,
	})
}

// handleLatestPaymentRequest is GET
// /api/connections/{connectionId}/latest-payment-request: the newest payment
// request created with the connection, for the account that authorized it.
func (c *centrapay) handleLatestPaymentRequest(w http.ResponseWriter, r *http.Request, p principal) {
	cn, ok := c.store.connection(pathVar(r, "connectionId"))
	if !ok || cn.Status != ConnectionAuthorized || cn.AuthorizedByAccountID != p.Account.ID {
		writeError(w, errForbidden())
		return
	}
	pr, ok := c.store.latestPaymentRequestForConnection(cn.ID)
	if !ok {
		writeError(w, errForbidden())
		return
	}
	writeJSON(w, c.paymentRequestView(pr))
}
