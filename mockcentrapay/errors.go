package mockcentrapay

import (
	"net/http"

	"github.com/payap/payap-sandbox/internal/httpx"
)

// apiError is Centrapay's one error shape (§4.1, contradiction C12 resolved
// to the http-status-codes page): {statusCode, error, message} plus an
// optional reason. error is the HTTP reason phrase; business rule codes such
// as INSUFFICIENT_BALANCE go in message; reason is a human detail for display
// only.
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	Reason     string `json:"reason,omitempty"`
}

func newAPIError(status int, message, reason string) *apiError {
	return &apiError{StatusCode: status, Error: http.StatusText(status), Message: message, Reason: reason}
}

// errBadRequest is a validation failure: message says what to fix.
func errBadRequest(message string) *apiError {
	return newAPIError(http.StatusBadRequest, message, "")
}

// errBusiness is a broken business rule: 400 or 403 with the documented code
// in message and a sentence in reason.
func errBusiness(status int, code, reason string) *apiError {
	return newAPIError(status, code, reason)
}

// errForbidden is the documented 403 for a resource that is missing or that
// the caller may not touch: the two are not told apart (§4.1).
func errForbidden() *apiError {
	return newAPIError(http.StatusForbidden, "Forbidden", "")
}

// errNotFound answers an unknown route or method, as documented.
func errNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "Not Found", "")
}

// Documented 401 messages.
const (
	msgMissingAuth = "Missing authentication"
	msgInvalidAuth = "Invalid authentication"
)

func errUnauthorized(message string) *apiError {
	return newAPIError(http.StatusUnauthorized, message, "")
}

// writeError is the one writer of Centrapay errors.
func writeError(w http.ResponseWriter, e *apiError) {
	httpx.WriteJSON(w, e.StatusCode, e)
}

// writeJSON writes a success body. Every create answers 200, as the docs do
// (no 201 anywhere, §4.1).
func writeJSON(w http.ResponseWriter, v any) {
	httpx.WriteJSON(w, http.StatusOK, v)
}
