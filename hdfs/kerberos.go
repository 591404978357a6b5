package hdfs

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	krb "github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/shoalhq/shoal"
)

// DefaultKerberosConfig is the krb5.conf read when neither
// Options.KerberosConfig nor KRB5_CONFIG is set.
const DefaultKerberosConfig = "/etc/krb5.conf"

// kerberosConfigPath returns the krb5.conf to read.
func kerberosConfigPath(opt string) string {
	if opt != "" {
		return opt
	}
	if env := os.Getenv("KRB5_CONFIG"); env != "" {
		return env
	}
	return DefaultKerberosConfig
}

// ccachePath returns the ticket cache to read: opt, else KRB5CCNAME, else
// /tmp/krb5cc_<uid>, MIT Kerberos's default. Only file caches can be read;
// a KEYRING:, KCM:, DIR: or MEMORY: cache is EINVALID.
func ccachePath(opt string) (string, error) {
	v, from := opt, "the ticket cache option"
	if v == "" {
		v, from = os.Getenv("KRB5CCNAME"), "KRB5CCNAME"
	}
	if v == "" {
		return "/tmp/krb5cc_" + strconv.Itoa(os.Getuid()), nil
	}
	if i := strings.IndexByte(v, ':'); i > 0 && !strings.Contains(v[:i], "/") {
		if typ := v[:i]; !strings.EqualFold(typ, "FILE") {
			return "", shoal.Errorf(shoal.EINVALID, "%s=%s: a %s ticket cache cannot be read; use a file cache (kinit -c FILE:/path) or a keytab", from, v, strings.ToUpper(typ))
		}
		v = v[i+1:]
	}
	if v == "" {
		return "", shoal.Errorf(shoal.EINVALID, "%s names no ticket cache file", from)
	}
	return v, nil
}

// splitPrincipal splits name@REALM; the realm is "" when absent.
func splitPrincipal(p string) (name, realm string) {
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return p, ""
}

// kerberosClient logs in with the keytab, or loads the ticket cache, as
// opts say. conf names the Hadoop configuration in errors.
func kerberosClient(opts *Options, conf *hadoopConf) (*krb.Client, error) {
	cfgPath := kerberosConfigPath(opts.KerberosConfig)
	if _, err := os.Stat(cfgPath); errors.Is(err, fs.ErrNotExist) {
		return nil, shoal.Errorf(shoal.EINVALID, "Kerberos is enabled (%s) but the Kerberos configuration %s does not exist; set the krb5.conf path", conf.where("hadoop.security.authentication"), cfgPath)
	}
	kcfg, err := krbconfig.Load(cfgPath)
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "read Kerberos configuration %s: %v", cfgPath, err)
	}
	if opts.Keytab != "" {
		if opts.Principal == "" {
			return nil, shoal.Errorf(shoal.EINVALID, "a keytab (%s) needs the principal to log in as, such as shoal/host@EXAMPLE.COM", opts.Keytab)
		}
		kt, err := keytab.Load(opts.Keytab)
		if err != nil {
			return nil, shoal.Errorf(shoal.EINVALID, "read keytab %s: %v", opts.Keytab, err)
		}
		name, realm := splitPrincipal(opts.Principal)
		if realm == "" {
			realm = kcfg.LibDefaults.DefaultRealm
		}
		if name == "" || realm == "" {
			return nil, shoal.Errorf(shoal.EINVALID, "principal %q: want name@REALM (%s sets no default_realm)", opts.Principal, cfgPath)
		}
		cl := krb.NewWithKeytab(name, realm, kt, kcfg, krb.DisablePAFXFAST(true))
		if err := cl.Login(); err != nil {
			code := shoal.EINVALID
			var ke krberror.Krberror
			if errors.As(err, &ke) && ke.RootCause == krberror.NetworkingError {
				code = shoal.EUNAVAILABLE
			}
			return nil, shoal.Errorf(code, "Kerberos login as %s@%s with keytab %s failed: %v", name, realm, opts.Keytab, err)
		}
		return cl, nil
	}
	if opts.Principal != "" {
		return nil, shoal.Errorf(shoal.EINVALID, "principal %s is set without a keytab; set the keytab, or leave both empty to use the ticket cache", opts.Principal)
	}
	path, err := ccachePath(opts.CCache)
	if err != nil {
		return nil, err
	}
	cc, err := credentials.LoadCCache(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, shoal.Errorf(shoal.EINVALID, "Kerberos is enabled (%s) but no keytab is configured and there is no ticket cache at %s: run kinit, or set a keytab and principal", conf.where("hadoop.security.authentication"), path)
	}
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "read Kerberos ticket cache %s: %v", path, err)
	}
	tgt, ok := cc.GetEntry(types.PrincipalName{
		NameType:   nametype.KRB_NT_SRV_INST,
		NameString: []string{"krbtgt", cc.DefaultPrincipal.Realm},
	})
	if !ok {
		return nil, shoal.Errorf(shoal.EINVALID, "Kerberos ticket cache %s holds no ticket-granting ticket for realm %q: run kinit", path, cc.DefaultPrincipal.Realm)
	}
	if !tgt.EndTime.IsZero() && time.Now().After(tgt.EndTime) {
		return nil, shoal.Errorf(shoal.EINVALID, "the ticket in Kerberos ticket cache %s expired at %s: run kinit", path, tgt.EndTime.Format(time.RFC3339))
	}
	cl, err := krb.NewFromCCache(cc, kcfg, krb.DisablePAFXFAST(true))
	if err != nil {
		return nil, shoal.Errorf(shoal.EINVALID, "Kerberos ticket cache %s: %v", path, err)
	}
	return cl, nil
}

// namenodePrincipal returns the principal the client asks a ticket for to
// talk to the NameNode at addr: spn with _HOST replaced by addr's host, as
// the library does. It only names the principal in error messages.
func namenodePrincipal(spn, addr string) string {
	service, rest, ok := strings.Cut(spn, "/")
	if !ok {
		return spn
	}
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		host = strings.Trim(addr[:i], "[]")
	}
	if rest == "_HOST" {
		return service + "/" + host
	}
	if r, ok := strings.CutPrefix(rest, "_HOST@"); ok {
		return service + "/" + host + "@" + r
	}
	if r, ok := strings.CutPrefix(rest, "_HOST/"); ok {
		return service + "/" + host + "/" + r
	}
	return spn
}
