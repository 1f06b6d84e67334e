package mockcentrapay

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is Centrapay's time format: ISO 8601 in UTC with milliseconds,
// e.g. 2021-06-11T02:51:11.000Z.
type Timestamp time.Time

const timestampLayout = "2006-01-02T15:04:05.000Z"

// MarshalJSON writes the documented format.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(timestampLayout) + `"`), nil
}

// UnmarshalJSON accepts any RFC 3339 time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a timestamp must be a string such as 2021-06-11T02:51:11.000Z")
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("%q is not an ISO 8601 timestamp such as 2021-06-11T02:51:11.000Z", s)
	}
	*t = Timestamp(v)
	return nil
}

// Time returns the time.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// ts converts a time for the wire.
func ts(t time.Time) Timestamp { return Timestamp(t) }

// Amount is a BigNumber of minor units (cents). It is written as a string
// and read from a string or, tolerantly, a JSON integer. Never a float.
type Amount int64

// MarshalJSON writes the amount as a decimal string.
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(a), 10) + `"`), nil
}

// UnmarshalJSON reads "1000" or 1000; fractions, exponents and signs other
// than a leading minus are refused.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := parseAmount(s)
	if err != nil {
		return err
	}
	*a = Amount(n)
	return nil
}

func parseAmount(s string) (int64, error) {
	body := strings.TrimPrefix(s, "-")
	if body == "" || strings.Trim(body, "0123456789") != "" || len(body) > 18 {
		return 0, fmt.Errorf("%q is not a whole number of cents (send a string of digits such as \"1000\")", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

// Monetary is an amount with its currency.
type Monetary struct {
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
}

// Location is the documented address; lat and lng are numbers (C25: the
// string form of the pay examples is accepted too).
type Location struct {
	Street   string   `json:"street"`
	City     string   `json:"city"`
	Country  string   `json:"country"`
	Suburb   string   `json:"suburb,omitempty"`
	PostCode string   `json:"postCode,omitempty"`
	State    string   `json:"state,omitempty"`
	Lat      *FlexNum `json:"lat,omitempty"`
	Lng      *FlexNum `json:"lng,omitempty"`
}

// FlexNum is a number that may arrive as a JSON string (C25) and is always
// written as a number.
type FlexNum float64

// UnmarshalJSON reads 1.5 or "1.5".
func (f *FlexNum) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || strings.ContainsAny(s, "xXpP") {
		return fmt.Errorf("%s is not a finite decimal number", string(b))
	}
	*f = FlexNum(v)
	return nil
}

// Page is the documented pagination envelope: nextPageKey is absent on the
// last page.
type Page[T any] struct {
	Items       []T    `json:"items"`
	NextPageKey string `json:"nextPageKey,omitempty"`
}

// CRN is a Centrapay resource name: crn:{account}:{type}:{id}.
func CRN(account, kind, id string) string { return "crn:" + account + ":" + kind + ":" + id }
