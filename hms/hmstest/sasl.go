package hmstest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"
)

// SASL negotiation status bytes of Thrift's TSaslTransport.
const (
	saslStart    = 1
	saslOK       = 2
	saslBad      = 3
	saslError    = 4
	saslComplete = 5
)

// saslServerSocket wraps a server socket so that each accepted connection
// negotiates SASL PLAIN before it carries framed Thrift messages, as
// Hive's TSaslServerTransport does.
type saslServerSocket struct {
	thrift.TServerTransport
	user, password string
}

func (s *saslServerSocket) Accept() (thrift.TTransport, error) {
	t, err := s.TServerTransport.Accept()
	if err != nil || t == nil {
		return t, err
	}
	return &saslServerTransport{tp: t, user: s.user, password: s.password}, nil
}

// saslServerTransport is the server end of a SASL PLAIN connection. The
// negotiation runs on the first Read, in the connection's own goroutine.
type saslServerTransport struct {
	tp             thrift.TTransport
	user, password string

	once    sync.Once
	authErr error
	rbuf    bytes.Buffer
	wbuf    bytes.Buffer
}

func (t *saslServerTransport) Open() error  { return nil }
func (t *saslServerTransport) IsOpen() bool { return t.tp.IsOpen() }
func (t *saslServerTransport) Close() error { return t.tp.Close() }
func (t *saslServerTransport) RemainingBytes() uint64 {
	return uint64(t.rbuf.Len())
}

func (t *saslServerTransport) readMsg() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(t.tp, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > 1<<16 {
		return 0, nil, fmt.Errorf("sasl message of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(t.tp, body); err != nil {
		return 0, nil, err
	}
	return hdr[0], body, nil
}

func (t *saslServerTransport) sendMsg(status byte, body string) {
	msg := make([]byte, 5+len(body))
	msg[0] = status
	binary.BigEndian.PutUint32(msg[1:], uint32(len(body)))
	copy(msg[5:], body)
	_, _ = t.tp.Write(msg)
	_ = t.tp.Flush(context.Background())
}

func (t *saslServerTransport) negotiate() error {
	status, mech, err := t.readMsg()
	if err != nil {
		return err
	}
	if status != saslStart || string(mech) != "PLAIN" {
		t.sendMsg(saslBad, "unsupported mechanism "+string(mech))
		return errors.New("sasl: bad start")
	}
	status, resp, err := t.readMsg()
	if err != nil {
		return err
	}
	// authzid NUL authcid NUL passwd
	parts := bytes.Split(resp, []byte{0})
	if status != saslOK || len(parts) != 3 {
		t.sendMsg(saslError, "malformed PLAIN response")
		return errors.New("sasl: malformed response")
	}
	if string(parts[1]) != t.user || string(parts[2]) != t.password {
		t.sendMsg(saslBad, "Error validating the login")
		return errors.New("sasl: bad credentials")
	}
	t.sendMsg(saslComplete, "")
	return nil
}

func (t *saslServerTransport) Read(p []byte) (int, error) {
	t.once.Do(func() { t.authErr = t.negotiate() })
	if t.authErr != nil {
		return 0, thrift.NewTTransportExceptionFromError(io.EOF)
	}
	if t.rbuf.Len() == 0 {
		var hdr [4]byte
		if _, err := io.ReadFull(t.tp, hdr[:]); err != nil {
			return 0, thrift.NewTTransportExceptionFromError(err)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > 256<<20 {
			return 0, thrift.NewTTransportException(thrift.UNKNOWN_TRANSPORT_EXCEPTION, "frame too large")
		}
		if _, err := io.CopyN(&t.rbuf, t.tp, int64(n)); err != nil {
			return 0, thrift.NewTTransportExceptionFromError(err)
		}
	}
	return t.rbuf.Read(p)
}

func (t *saslServerTransport) Write(p []byte) (int, error) { return t.wbuf.Write(p) }

func (t *saslServerTransport) Flush(ctx context.Context) error {
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(t.wbuf.Len()))
	if _, err := t.tp.Write(append(hdr[:], t.wbuf.Bytes()...)); err != nil {
		return thrift.NewTTransportExceptionFromError(err)
	}
	t.wbuf.Reset()
	return t.tp.Flush(ctx)
}
