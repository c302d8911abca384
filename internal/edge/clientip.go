package edge

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the IP address of the client that sent r.
//
// With trustProxy, it is the last address in X-Forwarded-For: the one the
// reverse proxy in front of the server appended. Earlier entries are
// whatever the client chose to send and are ignored, since the IP is used in
// audit records and rate limits. A missing or malformed header falls back
// to the connection's address.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if ip, ok := lastForwardedFor(r.Header.Values("X-Forwarded-For")); ok {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

func lastForwardedFor(values []string) (string, bool) {
	if len(values) == 0 {
		return "", false
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	last = strings.TrimSpace(last)
	if a, err := netip.ParseAddr(last); err == nil {
		return a.Unmap().WithZone("").String(), true
	}
	if ap, err := netip.ParseAddrPort(last); err == nil {
		return ap.Addr().Unmap().WithZone("").String(), true
	}
	return "", false
}
