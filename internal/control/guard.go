package control

import (
	"net"
	"net/http"
	"net/netip"
)

// guard refuses callers that are not on this machine unless AllowRemote is
// set: the control API can reset the sandbox and read every recorded
// exchange, so it is not for the network.
func (c *control) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.cfg.AllowRemote && !isLoopback(r.RemoteAddr) {
			writeError(w, newError(http.StatusForbidden, "remote_not_allowed",
				"the control API answers only requests from this machine (127.0.0.1 or ::1); call it from the sandbox's host, or start the sandbox with remote control allowed"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopback reports whether a RemoteAddr ("host:port", or a bare host) is
// a loopback address.
func isLoopback(remoteAddr string) bool {
	host := remoteAddr
	if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return addr.Unmap().IsLoopback()
}
