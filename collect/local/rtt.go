package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SQLEndpoint is where a SQL Server name (as TMS and the inventory spell
// it) listens: `host`, `host\INSTANCE`, `host,port`, `tcp:host,port`.
type SQLEndpoint struct {
	Host     string
	Port     int    // 0: ask the SQL Server Browser for Instance's port
	Instance string // "" for the default instance
}

// ParseSQLServer splits a SQL Server name. A default instance without a
// port listens on 1433.
func ParseSQLServer(name string) (SQLEndpoint, error) {
	s := strings.TrimSpace(name)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tcp:") {
		s = s[4:]
	}
	var e SQLEndpoint
	if host, port, ok := strings.Cut(s, ","); ok {
		p, err := strconv.Atoi(strings.TrimSpace(port))
		if err != nil || p < 1 || p > 65535 {
			return e, fmt.Errorf("%q: port %q is not a number from 1 to 65535", name, port)
		}
		s, e.Port = host, p
	}
	if host, inst, ok := strings.Cut(s, `\`); ok {
		s, e.Instance = host, inst
	}
	switch strings.ToLower(s) {
	case ".", "(local)", "(localdb)":
		s = "localhost"
	}
	if s == "" {
		return e, fmt.Errorf("%q: no host", name)
	}
	e.Host = s
	if e.Port == 0 && e.Instance == "" {
		e.Port = 1433
	}
	return e, nil
}

// browserPort matches the TCP port in a SQL Server Browser answer
// (`...;InstanceName;TMS;...;tcp;49172;;`).
var browserPort = regexp.MustCompile(`(?i);tcp;(\d+)`)

// BrowserPort asks the SQL Server Browser (UDP 1434 on host, or port for
// tests) for the TCP port of a named instance (CLNT_UCAST_INST, MC-SQLR
// 2.2.3).
func BrowserPort(ctx context.Context, host string, port int, instance string) (int, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return 0, fmt.Errorf("SQL Server Browser: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(2 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write(append([]byte{0x04}, instance...)); err != nil {
		return 0, fmt.Errorf("SQL Server Browser: %w", err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		return 0, fmt.Errorf("SQL Server Browser on %s gave no answer: %w", host, err)
	}
	m := browserPort.FindSubmatch(buf[:n])
	if m == nil {
		return 0, fmt.Errorf("SQL Server Browser on %s: no TCP port for instance %s", host, instance)
	}
	p, err := strconv.Atoi(string(m[1]))
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("SQL Server Browser on %s: bad port %q", host, m[1])
	}
	return p, nil
}

// MeasureRTT times n TCP connections to the SQL Server (opened and closed,
// nothing sent): the round trip a TCP handshake takes is the network's
// round trip, which the guide bounds. browser is the SQL Server Browser's
// UDP port (1434; tests pass their own). Milliseconds, rounded to 0.01.
func MeasureRTT(ctx context.Context, server string, n, browser int) ([]float64, error) {
	e, err := ParseSQLServer(server)
	if err != nil {
		return nil, err
	}
	if e.Port == 0 {
		if e.Port, err = BrowserPort(ctx, e.Host, browser, e.Instance); err != nil {
			return nil, err
		}
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, e.Host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: %w", e.Host, errors.Join(err, errNoAddress(len(ips))))
	}
	addr := net.JoinHostPort(ips[0].IP.String(), strconv.Itoa(e.Port))
	out := make([]float64, 0, n)
	for range n {
		d := net.Dialer{Timeout: 5 * time.Second}
		start := time.Now()
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("connect to SQL Server %s (%s): %w", server, addr, err)
		}
		elapsed := time.Since(start)
		conn.Close()
		out = append(out, math.Round(float64(elapsed.Microseconds())/10)/100)
	}
	return out, nil
}

func errNoAddress(n int) error {
	if n == 0 {
		return errors.New("no address")
	}
	return nil
}
