//go:build kerberos

package hms

import (
	"context"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/beltran/gohive"
)

// KerberosSupported reports whether this binary was built with the kerberos
// build tag, which auth=KERBEROS needs.
const KerberosSupported = true

func kerberosAvailable() error { return nil }

// kerberosTransport negotiates SASL GSSAPI with the service principal
// service/host, using the credentials cache of the process (kinit, or
// KRB5CCNAME). Integrity and confidentiality layers are those gosasl
// negotiates.
func kerberosTransport(ctx context.Context, sock thrift.TTransport, host, service string) (thrift.TTransport, error) {
	st, err := gohive.NewTSaslTransport(sock, host, "GSSAPI", map[string]string{"service": service}, maxFrame)
	if err != nil {
		return nil, err
	}
	st.OpeningContext = ctx
	if err := st.Open(); err != nil {
		return nil, err
	}
	return st, nil
}
