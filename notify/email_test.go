package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoalhq/shoal/config"
	"github.com/shoalhq/shoal/notify"
)

// testTLS returns a server config with a self-signed certificate for
// 127.0.0.1 and a client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// checkMail parses a received message and checks its headers and body.
func checkMail(t *testing.T, m smtpMail, e notify.Event, to []string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatalf("%v in %q", err, m.Data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if subject != "[Shoal] "+e.Title {
		t.Errorf("subject %q", subject)
	}
	if m.From != "shoal@example.com" || strings.Join(m.To, ",") != strings.Join(to, ",") {
		t.Errorf("envelope from %q to %v", m.From, m.To)
	}
	if msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" || msg.Header.Get("X-Shoal-Event") != e.Type {
		t.Errorf("headers %v", msg.Header)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), e.Text[:20]) {
		t.Errorf("body %q lacks the event text %q", body, e.Text)
	}
}

func TestEmail_PlainToLocalhostWithAuth(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, nil, false)
	reg := prometheus.NewRegistry()
	n, err := notify.New(config.NotifyConfig{
		Channels: []config.NotifyChannel{{Name: "ops", Type: "email", To: []string{"ops@example.com", "dba@example.com"}}},
		SMTP:     config.SMTPConfig{Addr: srv.addr(), From: "shoal@example.com", Username: "shoal", Password: "pw", TLS: "none"},
	}, notify.NewMetrics(reg), nil, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	e := notify.FailureEvent("merge", "prod", 9, "db1.t", "partition changed during the merge — ünïcode")
	n.Notify(e)
	waitFor(t, "the mail", func() bool { return len(srv.received()) == 1 })
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := srv.received()[0]
	checkMail(t, m, e, []string{"ops@example.com", "dba@example.com"})
	if m.Auth != "\x00shoal\x00pw" || m.TLS {
		t.Errorf("auth %q tls %v", m.Auth, m.TLS)
	}
	if got := count(t, reg, "email", "sent"); got != 1 {
		t.Errorf("sent = %v", got)
	}
}

func TestEmail_StartTLSAndImplicitTLS(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := testTLS(t)
	e := notify.FailureEvent("scan", "prod", 5, "", "namenode unreachable for a long while")
	for _, c := range []struct {
		name     string
		implicit bool
		mode     string
	}{{"starttls", false, "starttls"}, {"implicit", true, "tls"}} {
		srv := startSMTP(t, serverTLS, c.implicit)
		m := &notify.Email{Addr: srv.addr(), From: "shoal@example.com", To: []string{"ops@example.com"},
			Username: "u", Password: "p", TLS: c.mode, TLSConfig: clientTLS}
		if err := m.Send(context.Background(), e); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := srv.received()
		if len(got) != 1 || !got[0].TLS || got[0].Auth != "\x00u\x00p" {
			t.Fatalf("%s: received %+v", c.name, got)
		}
		checkMail(t, got[0], e, []string{"ops@example.com"})
	}
	// An untrusted certificate fails the upgrade.
	srv := startSMTP(t, serverTLS, false)
	m := &notify.Email{Addr: srv.addr(), From: "shoal@example.com", To: []string{"ops@example.com"}}
	if err := m.Send(context.Background(), e); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("untrusted certificate: err = %v", err)
	}
}

func TestEmail_RejectedRecipientFails(t *testing.T) {
	t.Parallel()
	srv := startSMTP(t, nil, false)
	srv.reject["nobody@example.com"] = true
	m := &notify.Email{Addr: srv.addr(), From: "shoal@example.com", To: []string{"nobody@example.com"}}
	err := m.Send(context.Background(), notify.FailureEvent("scan", "", 1, "", "x"))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("err = %v", err)
	}
	if len(srv.received()) != 0 {
		t.Fatal("a mail was accepted")
	}
}

func TestEmail_ClosedPortFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m := &notify.Email{Addr: addr, From: "shoal@example.com", To: []string{"a@example.com"}}
	if err := m.Send(context.Background(), notify.FailureEvent("scan", "", 1, "", "x")); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("err = %v", err)
	}
}
