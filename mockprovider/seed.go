package mockprovider

import (
	"fmt"
	"strings"

	"github.com/brianvoe/gofakeit/v6"
)

// The documented demo login, the same on every run whatever the seed.
const (
	DemoUsername = "demo"
	DemoPassword = "payap-demo"
	DemoUserID   = "54321"
)

// PendingAssetID is the demo user's asset whose payments answer pending and
// turn successful on the second GET /get (Slow Points, 20000).
const PendingAssetID = "99999"

// demoAssets are the demo user's assets: the two of the guide's examples,
// which pay at once, and Slow Points, which pays pending.
var demoAssets = []Asset{
	{ID: "12345", UserID: DemoUserID, Description: "Everyday Points", Currency: "NZD", Balance: 5000, PartialRefunds: true},
	{ID: "56789", UserID: DemoUserID, Description: "Bonus Points", Currency: "NZD", Balance: 25000, PartialRefunds: true},
	{ID: PendingAssetID, UserID: DemoUserID, Description: "Slow Points", Currency: "NZD", Balance: 20000, PendingPolls: 2, PartialRefunds: true},
}

// generatedUsers is how many users Seed makes beside the demo user.
const generatedUsers = 3

var assetKinds = []string{"Points", "Rewards", "Miles", "Dollars", "Credits"}

// Seed fills an empty store with the demo user and a few generated users,
// each with one to three assets. Every asset pays in NZD with
// DefaultAssetSettings, except the demo's Slow Points (PendingAssetID),
// which answers pending. The same seed gives the same users, ids,
// passwords and balances on every run (seed 0 picks a random one).
func Seed(st Store, seed int64) error {
	if err := st.PutUser(User{ID: DemoUserID, Username: DemoUsername, Password: DemoPassword, Name: "Demo User"}); err != nil {
		return fmt.Errorf("seed demo user: %w", err)
	}
	for _, a := range demoAssets {
		if err := st.PutAsset(a); err != nil {
			return fmt.Errorf("seed demo asset: %w", err)
		}
	}
	f := gofakeit.New(seed)
	usedIDs := map[string]bool{DemoUserID: true}
	for _, a := range demoAssets {
		usedIDs[a.ID] = true
	}
	uniqueID := func(pattern string) string {
		for {
			id := f.Numerify(pattern)
			if !usedIDs[id] && !strings.HasPrefix(id, "0") {
				usedIDs[id] = true
				return id
			}
		}
	}
	for i := 0; i < generatedUsers; i++ {
		first, last := f.FirstName(), f.LastName()
		u := User{
			ID:       uniqueID("#####"),
			Username: strings.ToLower(first + "." + last),
			Password: f.Password(true, true, true, false, false, 12),
			Name:     first + " " + last,
		}
		if _, taken := st.UserByUsername(u.Username); taken {
			u.Username = fmt.Sprintf("%s%d", u.Username, i+1)
		}
		if err := st.PutUser(u); err != nil {
			return fmt.Errorf("seed user: %w", err)
		}
		brand := f.LastName()
		for n := f.Number(1, 3); n > 0; n-- {
			a := Asset{
				ID:          uniqueID("#######"),
				UserID:      u.ID,
				Description: brand + " " + assetKinds[f.Number(0, len(assetKinds)-1)],
				Currency:    "NZD",
				Balance:     int64(f.Number(0, 500_000)),
			}
			set := DefaultAssetSettings()
			a.PendingPolls, a.PartialRefunds = set.PendingPolls, set.PartialRefunds
			if err := st.PutAsset(a); err != nil {
				return fmt.Errorf("seed asset: %w", err)
			}
		}
	}
	return nil
}
