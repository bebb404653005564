package local

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixtures"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func TestParseSQLServer(t *testing.T) {
	cases := map[string]SQLEndpoint{
		`sql01.acme.local`:          {Host: "sql01.acme.local", Port: 1433},
		`sql01.acme.local\TMS`:      {Host: "sql01.acme.local", Instance: "TMS"},
		`tcp:sql01.acme.local,1533`: {Host: "sql01.acme.local", Port: 1533},
		`TCP:sql01\TMS,49172`:       {Host: "sql01", Port: 49172, Instance: "TMS"},
		`.`:                         {Host: "localhost", Port: 1433},
		`(local)\SQLEXPRESS`:        {Host: "localhost", Instance: "SQLEXPRESS"},
	}
	for in, want := range cases {
		got, err := ParseSQLServer(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", `\TMS`, "sql01,0", "sql01,port", "sql01,70000"} {
		_, err := ParseSQLServer(bad)
		assert.Error(t, err, bad)
	}
}

// FuzzParseSQLServer: server names from the labs (inventory and db.json
// spellings) and anything else never panic, and a parsed endpoint has a
// host and either a port or an instance.
func FuzzParseSQLServer(f *testing.F) {
	labs, err := fixtures.Labs()
	require.NoError(f, err)
	for _, lab := range labs {
		inv, err := inventory.Load(lab.Inventory, inventory.Options{})
		require.NoError(f, err)
		f.Add(inv.Database.Server)
		f.Add(inv.Database.OffsiteServer)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseSQLServer(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, e.Host)
		require.True(t, e.Port > 0 || e.Instance != "")
		require.True(t, e.Port >= 0 && e.Port <= 65535)
	})
}

// listenUDP listens on a loopback UDP port for a test server. Wine 8
// cannot (WSAIoctl SIO_UDP_CONNRESET fails): there the test is skipped,
// having run on Linux and being a test of portable code.
func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil && runtime.GOOS == "windows" {
		t.Skipf("no UDP test server here (Wine?): %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc
}

// sqlBrowser answers SQL Server Browser questions for one instance.
func sqlBrowser(t *testing.T, instance string, port int) int {
	t.Helper()
	pc := listenUDP(t)
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 2 || buf[0] != 0x04 || !strings.EqualFold(string(buf[1:n]), instance) {
				continue // a real browser stays silent for an unknown instance
			}
			body := "ServerName;SQL01;InstanceName;" + instance + ";IsClustered;No;Version;16.0.1000.6;tcp;" + strconv.Itoa(port) + ";;"
			msg := []byte{0x05, 0, 0}
			binary.LittleEndian.PutUint16(msg[1:], uint16(len(body)))
			_, _ = pc.WriteTo(append(msg, body...), addr)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// acceptor is a TCP listener standing in for SQL Server.
func acceptor(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestMeasureRTT times TCP connects to a port given in the name, or asked
// from the SQL Server Browser for a named instance.
func TestMeasureRTT(t *testing.T) {
	port := acceptor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rtt, err := MeasureRTT(ctx, "127.0.0.1,"+strconv.Itoa(port), 3, 0)
	require.NoError(t, err)
	require.Len(t, rtt, 3)
	for _, v := range rtt {
		assert.GreaterOrEqual(t, v, 0.0)
	}
	browser := sqlBrowser(t, "TMS", port)
	rtt, err = MeasureRTT(ctx, `127.0.0.1\TMS`, 2, browser)
	require.NoError(t, err)
	assert.Len(t, rtt, 2)

	_, err = MeasureRTT(ctx, `127.0.0.1\OTHER`, 2, browser)
	assert.ErrorContains(t, err, "SQL Server Browser")
	_, err = MeasureRTT(ctx, "127.0.0.1,1", 1, 0) // nothing listens on port 1
	assert.ErrorContains(t, err, "connect to SQL Server")
}

func TestTimeSource(t *testing.T) {
	cases := []struct {
		cfg          TimeConfig
		domain       string
		joined       bool
		source, peer string
	}{
		{TimeConfig{Type: "NT5DS"}, "acme.local", true, "acme.local", "acme.local"},
		{TimeConfig{Type: "NT5DS"}, "WORKGROUP", false, LocalCMOSClock, ""},
		{TimeConfig{Type: "NTP", NtpServer: "time.acme.local,0x9 pool.ntp.org,0x1"}, "WORKGROUP", false, "time.acme.local,0x9", "time.acme.local"},
		{TimeConfig{Type: "NoSync", NtpServer: "time.acme.local"}, "acme.local", true, LocalCMOSClock, ""},
		{TimeConfig{}, "WORKGROUP", false, LocalCMOSClock, ""},
	}
	for _, c := range cases {
		s, p := TimeSource(c.cfg, c.domain, c.joined)
		assert.Equal(t, c.source, s, "%+v", c.cfg)
		assert.Equal(t, c.peer, p, "%+v", c.cfg)
	}
}

// sntpServer answers SNTP with its clock shifted by skew.
func sntpServer(t *testing.T, skew time.Duration) int {
	t.Helper()
	pc := listenUDP(t)
	ntpTime := func(tm time.Time) uint64 {
		secs := uint64(tm.Unix() + 2208988800)
		frac := uint64(tm.Nanosecond()) << 32 / 1e9
		return secs<<32 | frac
	}
	go func() {
		buf := make([]byte, 48)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			now := time.Now().Add(skew)
			resp := make([]byte, 48)
			resp[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, server
			resp[1] = 2               // stratum
			resp[2] = 6
			resp[3] = 0xEC
			binary.BigEndian.PutUint32(resp[12:], 0x7f000001)
			binary.BigEndian.PutUint64(resp[16:], ntpTime(now.Add(-time.Minute))) // reference
			copy(resp[24:32], buf[40:48])                                         // origin = client's transmit
			binary.BigEndian.PutUint64(resp[32:], ntpTime(now))
			binary.BigEndian.PutUint64(resp[40:], ntpTime(now))
			_, _ = pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestQueryTime: the offset is this clock minus the source's, and a
// source that does not answer is not synced.
func TestQueryTime(t *testing.T) {
	port := sntpServer(t, -2*time.Second) // the source is 2 s behind: this clock is 2 s ahead
	tf, err := QueryTime("dc01.acme.local", "127.0.0.1", port, 5*time.Second)
	require.NoError(t, err)
	require.NotNil(t, tf.Synced)
	assert.True(t, *tf.Synced)
	require.NotNil(t, tf.OffsetMS)
	assert.InDelta(t, 2000, *tf.OffsetMS, 200)
	assert.Equal(t, "dc01.acme.local", tf.Source)

	silent := listenUDP(t)
	tf, err = QueryTime("dc01", "127.0.0.1", silent.LocalAddr().(*net.UDPAddr).Port, 300*time.Millisecond)
	assert.Error(t, err)
	require.NotNil(t, tf.Synced)
	assert.False(t, *tf.Synced)
	assert.Nil(t, tf.OffsetMS)

	tf, err = QueryTime(LocalCMOSClock, "", 0, 0)
	require.NoError(t, err)
	assert.False(t, *tf.Synced)
}

const appHost = `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/tms" applicationPool="TMSNet40AppPool">
          <virtualDirectory path="/" physicalPath="%ProgramFiles%\TANDBERG\TMS\wwwTMS\" />
        </application>
      </site>
    </sites>
  </system.applicationHost>
</configuration>`

func TestWebRootFromAppHost(t *testing.T) {
	env := map[string]string{"ProgramFiles": `C:\Program Files`, "SystemDrive": "C:"}
	expand := func(s string) string {
		return ExpandPercent(s, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}
	got, err := WebRootFromAppHost([]byte(appHost), expand)
	require.NoError(t, err)
	assert.Equal(t, `C:\Program Files\TANDBERG\TMS\wwwTMS`, got)

	got, err = WebRootFromAppHost([]byte(strings.Replace(appHost, `path="/tms"`, `path="/other"`, 1)), expand)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = WebRootFromAppHost([]byte("<configuration><oops"), expand)
	assert.Error(t, err)
	assert.Equal(t, `%NOPE%\x`, ExpandPercent(`%NOPE%\x`, func(string) (string, bool) { return "", false }))
}

// FuzzWebRootFromAppHost: applicationHost.config is outside input; the
// labs' web.config files (IIS configuration XML too) and the sample seed
// it.
func FuzzWebRootFromAppHost(f *testing.F) {
	f.Add([]byte(appHost))
	labs, err := fixtures.Labs()
	require.NoError(f, err)
	for _, lab := range labs[:3] {
		inv, err := inventory.Load(lab.Inventory, inventory.Options{})
		require.NoError(f, err)
		for _, n := range inv.Nodes {
			p := inv.Resolve(n.Transport.Path) + `/fs/C/Program Files/TANDBERG/TMS/wwwTMS/web.config`
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := WebRootFromAppHost(data, func(s string) string { return s })
		if err == nil && got != "" {
			require.NotContains(t, got[len(got)-1:], `\`)
		}
	})
}

func TestTMSFacts(t *testing.T) {
	full := InstallInfo{
		IISWebRoot: `D:\TMS\wwwTMS`, UninstallVersion: "15.13.2", UninstallLocation: `D:\TMS\`,
		RegDBServer: `sql01\TMS`, RegDBName: "tmsng",
	}
	assert.Equal(t, &facts.TMSFacts{Version: "15.13.2", InstallPath: `D:\TMS`, WebRoot: `D:\TMS\wwwTMS`,
		SoftwareDir: `D:\TMS\wwwTMS\Data\Software`, DBServer: `sql01\TMS`, DBName: "tmsng"}, full.TMSFacts())

	iisOnly := InstallInfo{IISWebRoot: `E:\Apps\TMS\wwwTMS`}
	assert.Equal(t, `E:\Apps\TMS`, iisOnly.TMSFacts().InstallPath, "the web root's parent when it is wwwTMS")
	files := InstallInfo{FallbackInstall: `C:\Program Files\TANDBERG\TMS`}
	assert.Equal(t, `C:\Program Files\TANDBERG\TMS\wwwTMS`, files.TMSFacts().WebRoot)
	assert.Nil(t, InstallInfo{}.TMSFacts(), "nothing found: no tms block, never a guess")

	// The software folder is the newest release's that exists on the node.
	for dirs, want := range map[string]string{
		`D:\TMS\wwwTMS\Public\Data\SystemSoftware|D:\TMS\wwwTMS\Data\Software`: `D:\TMS\wwwTMS\Public\Data\SystemSoftware`,
		`D:\TMS\wwwTMS\Data\Software`:                                          `D:\TMS\wwwTMS\Data\Software`,
		``:                                                                     `D:\TMS\wwwTMS\Data\Software`,
	} {
		i := full
		i.IsDir = func(p string) bool { return slices.Contains(strings.Split(dirs, "|"), p) }
		assert.Equal(t, want, i.TMSFacts().SoftwareDir, dirs)
	}

	assert.True(t, IsTMSProduct("Cisco TelePresence Management Suite"))
	assert.True(t, IsTMSProduct("TANDBERG Management Suite 12.6"))
	assert.False(t, IsTMSProduct("Cisco TelePresence Management Suite Extension for Microsoft Exchange"))
	assert.False(t, IsTMSProduct("Cisco TelePresence Management Suite Provisioning Extension"))
	assert.False(t, IsTMSProduct("Microsoft SQL Server 2019"))
}
