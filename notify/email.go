package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// Email sends events as plain-text mail through an SMTP server.
type Email struct {
	// Addr is host:port of the server.
	Addr string
	From string
	To   []string
	// Username and Password authenticate with PLAIN, which is only sent
	// over TLS or to localhost.
	Username string
	Password string
	// TLS is "tls" (implicit TLS), "none", or "starttls" or "" (upgrade
	// when the server offers STARTTLS).
	TLS string
	// TLSConfig overrides the TLS settings (tests set RootCAs); nil
	// verifies the server's certificate for its host name.
	TLSConfig *tls.Config
}

// Type implements Sender.
func (m *Email) Type() string { return "email" }

func (m *Email) tlsConfig(host string) *tls.Config {
	if m.TLSConfig != nil {
		c := m.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = host
		}
		return c
	}
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

// Send implements Sender.
func (m *Email) Send(ctx context.Context, e Event) (err error) {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return &PermanentError{fmt.Errorf("smtp address %q: %w", m.Addr, err)}
	}
	var conn net.Conn
	if m.TLS == "tls" {
		d := &tls.Dialer{Config: m.tlsConfig(host)}
		conn, err = d.DialContext(ctx, "tcp", m.Addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", m.Addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer func() { _ = c.Close() }()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	secure := m.TLS == "tls"
	if m.TLS != "tls" && m.TLS != "none" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig(host)); err != nil {
				return fmt.Errorf("smtp: STARTTLS: %w", err)
			}
			secure = true
		}
	}
	if m.Username != "" {
		if !secure && !isLocalhost(host) {
			return &PermanentError{fmt.Errorf("smtp: refusing to send the password to %s without TLS", host)}
		}
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return &PermanentError{fmt.Errorf("smtp: AUTH: %w", err)}
		}
	}
	if err := c.Mail(m.From); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp: RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	msg, err := m.message(e)
	if err != nil {
		return &PermanentError{err}
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of message: %w", err)
	}
	return c.Quit()
}

// message renders e as an RFC 5322 message with a quoted-printable UTF-8
// body.
func (m *Email) message(e Event) ([]byte, error) {
	var b bytes.Buffer
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	header := func(k, v string) {
		// No header injection: values are single lines.
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
		b.WriteString(k + ": " + v + "\r\n")
	}
	header("From", m.From)
	header("To", strings.Join(m.To, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", "[Shoal] "+e.Title))
	header("Date", e.At.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@shoal>")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("X-Shoal-Event", e.Type)
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(e.Title+"\n\n"+e.Text+"\n", "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, errors.New("encode message body: " + err.Error())
	}
	return b.Bytes(), nil
}

func isLocalhost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
