package winrm

import (
	"net/http"
	"sync"
)

// NTLM over HTTP authenticates the TCP connection, not the request: the
// NEGOTIATE, the CHALLENGE that answers it and the AUTHENTICATE must all
// cross one connection, kept alive between them ([MS-NTHT] 3.1.5.1.2,
// 3.2.5.1.2). The negotiator (github.com/Azure/go-ntlmssp) sends the three
// legs as three round trips through whatever RoundTripper it wraps. Over
// // one shared http.Transport, each leg takes any idle connection, or dials
// a new one while the previous leg's is not yet idle again, and the
// library sends standard input while it polls for output: under load two
// exchanges interleaved, an AUTHENTICATE arrived on a connection whose
// CHALLENGE was another's, and the node answered 401 (a login refused
// with the right password); a lost Send left the command waiting for its
// input until the call's timeout.
//
// lanes gives each request a transport of its own, with at most one
// connection, for the whole of its round trips: the legs of an exchange
// follow each other on that one connection, which stays authenticated for
// the lane's next requests. Requests at once take separate lanes, each
// with its own connection and authentication, as the sealed pool does.

// maxIdleLanes bounds the lanes (and connections) kept between requests:
// the library has at most a Receive, a Send and a Signal in flight at
// once for a command.
const maxIdleLanes = 4

// lane is one connection's worth of HTTP client, used by one request at
// a time.
type lane struct {
	tr *http.Transport
	cl *http.Client
}

// lanes is a pool of lanes to one node.
type lanes struct {
	// base is the transport every lane is a clone of.
	base *http.Transport
	// wrap puts the authentication around a lane's transport.
	wrap func(http.RoundTripper) http.RoundTripper

	mu     sync.Mutex
	idle   []*lane
	closed bool
}

// get takes an idle lane, or makes one.
func (l *lanes) get() *lane {
	l.mu.Lock()
	if n := len(l.idle); n > 0 {
		ln := l.idle[n-1]
		l.idle = l.idle[:n-1]
		l.mu.Unlock()
		return ln
	}
	l.mu.Unlock()
	tr := l.base.Clone()
	// One connection: a leg of the exchange waits for the connection the
	// previous leg used to come back, rather than dialling another.
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost = 1, 1
	return &lane{tr: tr, cl: &http.Client{Transport: l.wrap(tr)}}
}

// put gives a lane back once its request's answer has been read whole
// and closed (its connection is then idle again).
func (l *lanes) put(ln *lane) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || len(l.idle) >= maxIdleLanes {
		ln.tr.CloseIdleConnections()
		return
	}
	l.idle = append(l.idle, ln)
}

// close drops every idle lane's connection; lanes still in use are
// dropped when they come back.
func (l *lanes) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ln := range l.idle {
		ln.tr.CloseIdleConnections()
	}
	l.idle, l.closed = nil, true
}
