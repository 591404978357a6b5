//go:build kerberos

package hiveserver

// kerberosSupported: gohive's GSSAPI mechanism (gosasl) is compiled in.
const kerberosSupported = true
