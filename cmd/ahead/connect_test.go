package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/redistest"
)

// ahead reaches a Redis that requires a password, with the password in
// redis.password or in the URL, and as an ACL user; a missing or wrong
// password fails with Redis's own word.
func TestConnectAuth(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t, t.TempDir(), "--save", "", "--appendonly", "no",
		"--requirepass", "default-pass", "--user", "app", "on", ">app-pass", "~*", "&*", "+@all")
	hostURL := strings.TrimPrefix(srv.URL(), "redis://")
	cases := []struct {
		name     string
		url      string
		user     string
		password string
		tls      bool
		want     string // "" for a PING that works, else part of the error
	}{
		{"redis.password", srv.URL(), "", "default-pass", false, ""},
		{"password in the URL", "redis://:default-pass@" + hostURL, "", "", false, ""},
		{"ACL user", srv.URL(), "app", "app-pass", false, ""},
		{"no password", srv.URL(), "", "", false, "NOAUTH"},
		{"wrong password", srv.URL(), "app", "nope", false, "WRONGPASS"},
	}
	for _, c := range cases {
		cfg := config.Default()
		cfg.Redis.URL, cfg.Redis.Username, cfg.Redis.Password, cfg.Redis.TLS = c.url, c.user, c.password, c.tls
		rdb := mustConnect(t, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: PING: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: PING error %v, want one with %q", c.name, err, c.want)
		}
	}
}

// redis.tls makes ahead open its connections with a TLS handshake, to a
// single Redis and to a cluster's nodes; without it they start in RESP.
func TestConnectTLS(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cluster, tls bool
		first        byte
	}{{false, true, 0x16}, {true, true, 0x16}, {false, false, '*'}} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		first := make(chan byte, 1)
		go func() {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			b := make([]byte, 1)
			if _, err := conn.Read(b); err == nil {
				first <- b[0]
			}
		}()
		cfg := config.Default()
		cfg.Redis.TLS, cfg.Redis.Password = c.tls, "pass"
		if c.cluster {
			cfg.Redis.Cluster = []string{l.Addr().String()}
		} else {
			cfg.Redis.URL = fmt.Sprintf("redis://%s/0", l.Addr())
		}
		rdb, err := connect(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		pinged := make(chan struct{})
		go func() { rdb.Ping(ctx); close(pinged) }()
		select {
		case b := <-first:
			if b != c.first {
				t.Errorf("cluster %v, tls %v: the connection starts with %#x, want %#x", c.cluster, c.tls, b, c.first)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("cluster %v, tls %v: no connection", c.cluster, c.tls)
		}
		cancel()
		<-pinged
		rdb.Close()
		l.Close()
	}
}

// Through redis.sentinel ahead finds the master, and after a failover it
// writes to the replica that became master, without being restarted.
// (Redis replicates asynchronously: writes in the moment of a failover
// may be lost, as docs/deploy.md says.)
func TestConnectSentinelFollowsFailover(t *testing.T) {
	t.Parallel()
	master := redistest.StartServer(t, t.TempDir(), "--save", "", "--appendonly", "no")
	replica := redistest.StartServer(t, t.TempDir(), "--save", "", "--appendonly", "no",
		"--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	sentinel := redistest.StartSentinel(t, "ahead-main", master.Addr())
	ctx := context.Background()
	sen := redis.NewSentinelClient(&redis.Options{Addr: sentinel.Addr()})
	defer sen.Close()

	cfg := config.Default()
	cfg.Redis.URL = ""
	cfg.Redis.Sentinel = config.Sentinel{Master: "ahead-main", Addrs: []string{sentinel.Addr()}, DB: 3}
	rdb := mustConnect(t, cfg)
	direct := func(s *redistest.Server) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: s.Addr(), DB: 3})
		t.Cleanup(func() { c.Close() })
		return c
	}
	if err := rdb.Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := direct(master).Get(ctx, "before").Result(); v != "1" {
		t.Fatalf("the write through the sentinel is not in database 3 of the master: %q", v)
	}

	// The sentinel learns of the replica from the master, then fails over.
	waitFor(t, "the sentinel to see the replica", func() bool {
		rs, err := sen.Replicas(ctx, "ahead-main").Result()
		return err == nil && len(rs) == 1 && !strings.Contains(rs[0]["flags"], "disconnected")
	}, nil)
	waitFor(t, "the failover", func() bool {
		addr, err := sen.GetMasterAddrByName(ctx, "ahead-main").Result()
		return err == nil && len(addr) == 2 && addr[1] == strconv.Itoa(replica.Port)
	}, func() { sen.Failover(ctx, "ahead-main") })
	// The client hears of the new master from the sentinel; until then a
	// write may still reach the old one, as it is being demoted.
	promoted := direct(replica)
	waitFor(t, "a write through the sentinel to reach the new master", func() bool {
		if err := rdb.Set(ctx, "after", "2", 0).Err(); err != nil {
			return false
		}
		v, _ := promoted.Get(ctx, "after").Result()
		return v == "2"
	}, nil)
}

// With redis.tls_ca, ahead trusts a private certificate authority: it
// reaches a redis-server that speaks only TLS with a certificate from that
// authority, and without it the same server is refused as unknown.
func TestConnectTLSWithCA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile, certFile, keyFile := writeTestPKI(t, dir)
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", "--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile,
		"--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ping := func(url string, tlsOn bool, ca string) error {
		cfg := config.Default()
		cfg.Redis.URL, cfg.Redis.TLS, cfg.Redis.TLSCA = url, tlsOn, ca
		rdb := mustConnect(t, cfg)
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return rdb.Ping(ctx).Err()
	}
	waitFor(t, "redis-server to answer over TLS", func() bool { return ping("redis://"+addr+"/0", true, caFile) == nil }, nil)
	if err := ping("rediss://"+addr+"/0", false, caFile); err != nil {
		t.Errorf("rediss:// with redis.tls_ca: %v", err)
	}
	if err := ping("redis://"+addr+"/0", true, ""); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the authority: %v, want an unknown-certificate error", err)
	}
	cfg := config.Default()
	cfg.Redis.TLS, cfg.Redis.TLSCA = true, keyFile // a key, not a certificate
	if _, err := connect(cfg); err == nil || !strings.Contains(err.Error(), "redis.tls_ca") {
		t.Errorf("a file without certificates: %v", err)
	}
}

// writeTestPKI writes a certificate authority and a server certificate for
// 127.0.0.1 signed by it, as PEM files in dir.
func writeTestPKI(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	// issue makes a key and a certificate for it from tmpl, signed by
	// parent's key (nil: self-signed).
	issue := func(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if parentKey == nil {
			parentKey = key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		return key, der
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ahead test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caKey, caDER := issue(caTmpl, caTmpl, nil)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvKey, srvDER := issue(srvTmpl, caTmpl, caKey)
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", keyDER)
}

// mustConnect validates cfg and connects as ahead does; the client is
// closed when the test ends.
func mustConnect(t *testing.T, cfg *config.Config) redis.UniversalClient {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rdb, err := connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
