package tui

import (
	"cmp"
	"slices"
	"time"

	"github.com/payap/payap-sandbox/internal/journal"
	"github.com/payap/payap-sandbox/internal/sandbox"
	"github.com/payap/payap-sandbox/mockcentrapay"
	"github.com/payap/payap-sandbox/mockpayap"
	"github.com/payap/payap-sandbox/mockprovider"
)

// backend is what the overview, traffic and state panes read and change.
// Every method may take a lock in a store, so panes call them from commands
// only, never from Update or View.
type backend interface {
	Services() []sandbox.Service
	Credentials() []sandbox.Credential
	Now() time.Time
	Journal() *journal.Journal
	// ActiveScenarios names the scenarios whose faults are live.
	ActiveScenarios() []string
	// State reads everything the state pane shows, in a stable order.
	State() stateData
	SetBalance(assetID string, balance int64) error
	RevokeGrants(username string) (int, error)
	ExpireTokens(username string) (int, error)
	AdvanceClock(d time.Duration) (time.Time, error)
}

// stateData is one consistent-enough read of the three mocks' state.
type stateData struct {
	Now             time.Time
	Users           []mockprovider.User
	Assets          map[string][]mockprovider.Asset // by provider user id
	Grants          []mockprovider.Grant
	Transactions    []mockprovider.Transaction
	PaymentRequests []mockcentrapay.PaymentRequest
	PayapUsers      []mockpayap.User
	Connections     map[string][]mockpayap.Connection  // by Payap user id
	Entries         map[string][]mockpayap.WalletEntry // by Payap user id
}

// sandboxBackend is the backend of a running *sandbox.Sandbox.
type sandboxBackend struct{ sb *sandbox.Sandbox }

var _ backend = sandboxBackend{}

func (b sandboxBackend) Services() []sandbox.Service       { return b.sb.Services() }
func (b sandboxBackend) Credentials() []sandbox.Credential { return b.sb.Credentials() }
func (b sandboxBackend) Now() time.Time                    { return b.sb.Clock.Now() }
func (b sandboxBackend) Journal() *journal.Journal         { return b.sb.Journal }

func (b sandboxBackend) ActiveScenarios() []string {
	var out []string
	for _, sc := range b.sb.Scenarios() {
		if sc.Active {
			out = append(out, sc.Name)
		}
	}
	return out
}

func (b sandboxBackend) State() stateData {
	now := b.sb.Clock.Now()
	d := stateData{
		Now:         now,
		Users:       b.sb.ProviderStore.Users(),
		Assets:      map[string][]mockprovider.Asset{},
		Grants:      b.sb.ProviderStore.Grants(),
		PayapUsers:  b.sb.PayapStore.Users(),
		Connections: map[string][]mockpayap.Connection{},
		Entries:     map[string][]mockpayap.WalletEntry{},
	}
	slices.SortFunc(d.Users, func(a, b mockprovider.User) int { return cmp.Compare(a.Username, b.Username) })
	for _, u := range d.Users {
		d.Assets[u.ID] = b.sb.ProviderStore.Assets(u.ID)
	}
	d.Transactions = b.sb.ProviderStore.Transactions()
	slices.SortStableFunc(d.PayapUsers, func(a, b mockpayap.User) int { return cmp.Compare(a.Email, b.Email) })
	for _, c := range b.sb.PayapStore.AllConnections(now) {
		d.Connections[c.UserID] = append(d.Connections[c.UserID], c)
	}
	for _, u := range d.PayapUsers {
		d.Entries[u.ID] = b.sb.PayapStore.Entries(u.ID)
	}
	d.PaymentRequests = b.sb.CentrapayStore.PaymentRequests(now)
	return d
}

func (b sandboxBackend) SetBalance(assetID string, balance int64) error {
	return b.sb.SetBalance(assetID, balance)
}

func (b sandboxBackend) RevokeGrants(username string) (int, error) {
	return b.sb.RevokeGrants(username)
}
func (b sandboxBackend) ExpireTokens(username string) (int, error) {
	return b.sb.ExpireTokens(username)
}

func (b sandboxBackend) AdvanceClock(d time.Duration) (time.Time, error) {
	return b.sb.AdvanceClock(d)
}
