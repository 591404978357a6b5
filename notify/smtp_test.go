package notify_test

import (
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// smtpMail is a message the test SMTP server received.
type smtpMail struct {
	From string
	To   []string
	Data string
	// Auth is the decoded AUTH PLAIN response ("\x00user\x00pass").
	Auth string
	TLS  bool
}

// smtpServer is a small SMTP server for tests: EHLO, optional STARTTLS,
// AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT. It rejects
// recipients listed in reject.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config // offers STARTTLS when set and not implicit
	implicit bool
	reject   map[string]bool
	mu       sync.Mutex
	mails    []smtpMail
	wg       sync.WaitGroup
}

func startSMTP(t *testing.T, tlsCfg *tls.Config, implicit bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, tls: tlsCfg, implicit: implicit, reject: map[string]bool{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if implicit {
					c = tls.Server(c, tlsCfg)
				}
				s.serve(c, implicit)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) received() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

func (s *smtpServer) serve(c net.Conn, secure bool) {
	defer c.Close()
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 test ESMTP")
	var m smtpMail
	m.TLS = secure
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"250-test", "250-AUTH PLAIN", "250 8BITMIME"}
			if s.tls != nil && !secure {
				lines = []string{"250-test", "250-STARTTLS", "250-AUTH PLAIN", "250 8BITMIME"}
			}
			for _, l := range lines {
				_ = tp.PrintfLine("%s", l)
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(c)
			m = smtpMail{TLS: true}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				_ = tp.PrintfLine("504 unsupported")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(resp)
			if err != nil {
				_ = tp.PrintfLine("501 bad base64")
				continue
			}
			m.Auth = string(b)
			_ = tp.PrintfLine("235 ok")
		case "MAIL":
			m.From = strings.Trim(arg[len("FROM:"):], "<> ")
			if i := strings.Index(m.From, ">"); i >= 0 {
				m.From = m.From[:i]
			}
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			to := strings.Trim(arg[len("TO:"):], "<> ")
			if s.reject[to] {
				_ = tp.PrintfLine("550 no such user")
				continue
			}
			m.To = append(m.To, to)
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with .")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.Data = string(b)
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			m = smtpMail{TLS: secure, Auth: m.Auth}
			_ = tp.PrintfLine("250 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 unknown command")
		}
	}
}
