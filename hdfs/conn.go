package hdfs

import (
	"context"
	"net"
	"time"
)

// deadlineDialer dials with a timeout and returns connections whose every
// Read and Write must make progress within the timeout. The library sets no
// deadline on NameNode connections, so without this a NameNode that
// accepts a connection and never answers would block a call forever.
func deadlineDialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &deadlineConn{Conn: c, timeout: timeout}, nil
	}
}

// deadlineConn sets a fresh deadline before each Read and Write. It
// replaces any deadline the library set, which it only does when asked to
// (FileReader.SetDeadline, FileWriter.SetDeadline), and this adapter does
// not ask.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
