//go:build !kerberos

package hiveserver

// kerberosSupported: without the kerberos build tag gosasl has no GSSAPI
// mechanism, so auth=KERBEROS is refused when the URI is parsed.
const kerberosSupported = false
