//go:build !kerberos

package hms

import (
	"context"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/shoalhq/shoal"
)

// KerberosSupported reports whether this binary was built with the kerberos
// build tag, which auth=KERBEROS needs.
const KerberosSupported = false

func kerberosAvailable() error {
	return shoal.Errorf(shoal.ENOTIMPLEMENTED,
		"hive metastore auth=KERBEROS: shoal was built without the kerberos tag (rebuild with -tags kerberos and libkrb5)")
}

func kerberosTransport(context.Context, thrift.TTransport, string, string) (thrift.TTransport, error) {
	return nil, kerberosAvailable()
}
