package mockpayap

import (
	"fmt"
	"strings"

	"github.com/brianvoe/gofakeit/v6"
)

// The documented demo Payap login, the same on every run.
const (
	DemoEmail    = "demo@payap.test"
	DemoPassword = "payap-demo"
	DemoUserID   = "pu_demo"
)

// generatedUsers is how many app users Seed makes beside the demo user.
const generatedUsers = 2

// Seed adds the demo user and a few generated app users. The same seed
// gives the same users on every run (0 picks a random one).
func Seed(st Store, seed int64) error {
	if err := st.PutUser(User{ID: DemoUserID, Email: DemoEmail, Password: DemoPassword, Name: "Demo Payap User"}); err != nil {
		return fmt.Errorf("seed demo user: %w", err)
	}
	f := gofakeit.New(seed)
	for i := 1; i <= generatedUsers; i++ {
		first, last := f.FirstName(), f.LastName()
		u := User{
			ID:       fmt.Sprintf("pu_%04d", i),
			Email:    strings.ToLower(first+"."+last) + "@payap.test",
			Password: f.Password(true, true, true, false, false, 12),
			Name:     first + " " + last,
		}
		if _, taken := st.UserByEmail(u.Email); taken {
			u.Email = fmt.Sprintf("%s.%d@payap.test", strings.ToLower(first+"."+last), i)
		}
		if err := st.PutUser(u); err != nil {
			return fmt.Errorf("seed user: %w", err)
		}
	}
	return nil
}
