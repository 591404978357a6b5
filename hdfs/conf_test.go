package hdfs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gohdfs "github.com/colinmarc/hdfs/v2"

	"github.com/shoalhq/shoal"
)

// writeConf writes a configuration directory with the given files; a file
// whose content is "" is not written.
func writeConf(t *testing.T, core, hdfsSite string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"core-site.xml": core, "hdfs-site.xml": hdfsSite} {
		if body == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// props renders properties as a configuration file, name then value.
func props(kv ...string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("  <property><name>" + kv[i] + "</name><value>" + kv[i+1] + "</value></property>\n")
	}
	b.WriteString("</configuration>\n")
	return b.String()
}

// wantErr checks that err has the code and that its message holds every
// fragment.
func wantErr(t *testing.T, err error, code string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s containing %q", code, fragments)
	}
	if got := shoal.ErrorCode(err); got != code {
		t.Fatalf("code %s, want %s: %v", got, code, err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

func mustLoad(t *testing.T, dir string) *hadoopConf {
	t.Helper()
	c, err := loadConf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfHA(t *testing.T) {
	c := mustLoad(t, "testdata/ha")
	if def, err := c.defaultAuthority(); err != nil || def != "mycluster" {
		t.Fatalf("default authority %q, %v; want mycluster", def, err)
	}
	want := []string{"nn1.example.com:8020", "nn2.example.com:8020"}
	for _, auth := range []string{"mycluster", ""} {
		got, err := c.namenodes(auth)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("namenodes(%q) = %v, %v; want %v in the listed order", auth, got, err, want)
		}
	}
	if got, err := c.namenodes("other.example.com:9000"); err != nil || !slices.Equal(got, []string{"other.example.com:9000"}) {
		t.Errorf("host:port authority: %v, %v", got, err)
	}
	_, err := c.namenodes("othercluster")
	wantErr(t, err, shoal.EINVALID, `unknown nameservice "othercluster"`, "[mycluster]", "testdata/ha", "hdfs://othercluster:8020")

	// hdfs-site.xml overrides core-site.xml.
	if r, err := c.replication(); err != nil || r != 2 {
		t.Errorf("replication %d, %v; want 2 from hdfs-site.xml", r, err)
	}
	if !strings.HasSuffix(c.where("dfs.replication"), filepath.Join("testdata", "ha", "hdfs-site.xml")) {
		t.Errorf("where = %q", c.where("dfs.replication"))
	}
	if bs, err := c.blockSize(); err != nil || bs != 256<<20 {
		t.Errorf("block size %d, %v; want 256m", bs, err)
	}
	if k, err := c.kerberos(); err != nil || k {
		t.Errorf("kerberos %v, %v", k, err)
	}
	if p, err := c.protection(); err != nil || p != "" {
		t.Errorf("protection %q, %v", p, err)
	}
	if !slices.Equal(c.nameservices(), []string{"mycluster"}) {
		t.Errorf("nameservices %v", c.nameservices())
	}
	f := &FS{conf: c, user: "hive", timeout: DefaultTimeout}
	o := f.clientOptions(want)
	if !o.UseDatanodeHostname || o.User != "hive" || o.KerberosClient != nil || o.KerberosServicePrincipleName != "" ||
		!slices.Equal(o.Addresses, want) || o.NamenodeDialFunc == nil || o.DatanodeDialFunc == nil {
		t.Errorf("client options %+v", o)
	}
}

func TestConfSingleNameNode(t *testing.T) {
	c := mustLoad(t, "testdata/single")
	if def, _ := c.defaultAuthority(); def != "namenode.example.com:8020" {
		t.Fatalf("default authority %q", def)
	}
	if got, err := c.namenodes(""); err != nil || !slices.Equal(got, []string{"namenode.example.com:8020"}) {
		t.Errorf("namenodes = %v, %v", got, err)
	}
	if bs, _ := c.blockSize(); bs != 134217728 {
		t.Errorf("block size %d", bs)
	}
	if r, _ := c.replication(); r != 3 {
		t.Errorf("replication %d", r)
	}
	if len(c.nameservices()) != 0 {
		t.Errorf("nameservices %v", c.nameservices())
	}
	f := &FS{conf: c, timeout: DefaultTimeout}
	if o := f.clientOptions(nil); o.UseDatanodeHostname {
		t.Error("dfs.client.use.datanode.hostname is unset, want false")
	}
}

func TestConfKerberos(t *testing.T) {
	c := mustLoad(t, "testdata/kerberos")
	if k, err := c.kerberos(); err != nil || !k {
		t.Fatalf("kerberos %v, %v (the value is Kerberos, in mixed case)", k, err)
	}
	p, err := c.principal()
	if err != nil || p != "nn/_HOST@CORP.EXAMPLE.COM" {
		t.Fatalf("principal %q, %v", p, err)
	}
	if prot, err := c.protection(); err != nil || prot != gohdfs.DataTransferProtectionIntegrity {
		t.Errorf("protection %q, %v", prot, err)
	}
	addrs, err := c.namenodes("secure")
	if err != nil || !slices.Equal(addrs, []string{"master-a.corp.example.com:8020", "master-b.corp.example.com:8020"}) {
		t.Fatalf("namenodes %v, %v", addrs, err)
	}
	var principals []string
	for _, a := range addrs {
		principals = append(principals, namenodePrincipal(p, a))
	}
	if want := []string{"nn/master-a.corp.example.com@CORP.EXAMPLE.COM", "nn/master-b.corp.example.com@CORP.EXAMPLE.COM"}; !slices.Equal(principals, want) {
		t.Errorf("principals %v, want %v", principals, want)
	}
	// The library gets the principal without its realm, _HOST kept for it
	// to replace per NameNode, and the transfer protection.
	f := &FS{conf: c, spn: p, timeout: DefaultTimeout}
	o := f.clientOptions(addrs)
	if o.KerberosServicePrincipleName != "" || o.KerberosClient != nil {
		t.Errorf("without a Kerberos client the options must not ask for Kerberos: %+v", o)
	}
	if o.DataTransferProtection != "integrity" {
		t.Errorf("options protection %q", o.DataTransferProtection)
	}
}

func TestNamenodePrincipal(t *testing.T) {
	for _, tc := range []struct{ spn, addr, want string }{
		{"nn/_HOST@EXAMPLE.COM", "nn1.example.com:8020", "nn/nn1.example.com@EXAMPLE.COM"},
		{"nn/_HOST", "nn1:8020", "nn/nn1"},
		{"hdfs/_HOST/extra@R", "h:1", "hdfs/h/extra@R"},
		{"nn/fixed.example.com@R", "nn1:8020", "nn/fixed.example.com@R"},
		{"nn/_HOSTNAME@R", "nn1:8020", "nn/_HOSTNAME@R"},
		{"nn/_HOST@R", "[fd00::1]:8020", "nn/fd00::1@R"},
		{"nn", "nn1:8020", "nn"},
	} {
		if got := namenodePrincipal(tc.spn, tc.addr); got != tc.want {
			t.Errorf("namenodePrincipal(%q, %q) = %q, want %q", tc.spn, tc.addr, got, tc.want)
		}
	}
}

func TestConfFederated(t *testing.T) {
	c := mustLoad(t, "testdata/federated") // hdfs-site.xml only
	if got := c.nameservices(); !slices.Equal(got, []string{"ns1", "ns2"}) {
		t.Errorf("nameservices %v", got)
	}
	if got, _ := c.namenodes("ns1"); !slices.Equal(got, []string{"10.0.0.1:8020", "10.0.0.2:8020"}) {
		t.Errorf("ns1 %v", got)
	}
	if got, _ := c.namenodes("ns2"); !slices.Equal(got, []string{"[fd00::3]:8020"}) {
		t.Errorf("ns2 %v", got)
	}
	_, err := c.namenodes("")
	wantErr(t, err, shoal.EINVALID, "fs.defaultFS", "testdata/federated")
	if p, _ := c.protection(); p != "privacy" {
		t.Errorf("protection %q, want the highest listed, privacy", p)
	}
}

func TestConfBadFiles(t *testing.T) {
	_, err := loadConf("testdata/malformed")
	wantErr(t, err, shoal.EINVALID, filepath.Join("testdata", "malformed", "hdfs-site.xml"), "not valid XML")

	_, err = loadConf("testdata/wrongroot")
	wantErr(t, err, shoal.EINVALID, filepath.Join("testdata", "wrongroot", "core-site.xml"), "<html>", "<configuration>")

	_, err = loadConf("testdata/does-not-exist")
	wantErr(t, err, shoal.EINVALID, "testdata/does-not-exist", "does not exist")

	empty := t.TempDir()
	_, err = loadConf(empty)
	wantErr(t, err, shoal.EINVALID, empty, "neither core-site.xml nor hdfs-site.xml")

	_, err = loadConf("testdata/single/core-site.xml")
	wantErr(t, err, shoal.EINVALID, "is not a directory")

	_, err = loadConf(writeConf(t, "", "   "))
	wantErr(t, err, shoal.EINVALID, "hdfs-site.xml is not valid XML")

	// Only core-site.xml is enough.
	c := mustLoad(t, writeConf(t, props("fs.defaultFS", "hdfs://h:1"), ""))
	if def, _ := c.defaultAuthority(); def != "h:1" {
		t.Errorf("default %q", def)
	}
}

func TestConfNone(t *testing.T) {
	c := mustLoad(t, "")
	if got, err := c.namenodes("h.example.com:8020"); err != nil || !slices.Equal(got, []string{"h.example.com:8020"}) {
		t.Errorf("namenodes %v, %v", got, err)
	}
	_, err := c.namenodes("ns")
	wantErr(t, err, shoal.EINVALID, `unknown nameservice "ns"`, "HADOOP_CONF_DIR is not set")
	_, err = c.namenodes("")
	wantErr(t, err, shoal.EINVALID, "fs.defaultFS")
}

func TestConfBadValues(t *testing.T) {
	for _, tc := range []struct {
		name      string
		core      string
		hdfs      string
		fragments []string
	}{
		{"protection", "", props("dfs.data.transfer.protection", "confidential"),
			[]string{"dfs.data.transfer.protection in", "hdfs-site.xml", `"confidential"`}},
		{"protection in list", "", props("dfs.data.transfer.protection", "integrity,secret"),
			[]string{`"secret"`}},
		{"encrypt", "", props("dfs.encrypt.data.transfer", "yes"),
			[]string{"dfs.encrypt.data.transfer in", "true or false"}},
		{"authentication", props("hadoop.security.authentication", "ldap"), "",
			[]string{"hadoop.security.authentication in", "core-site.xml", "simple or kerberos"}},
		{"HA namenode without address", "", props("dfs.nameservices", "ns", "dfs.ha.namenodes.ns", "nn1,nn2", "dfs.namenode.rpc-address.ns.nn1", "a:8020"),
			[]string{"NameNode nn2", "dfs.namenode.rpc-address.ns.nn2 is not set"}},
		{"HA without namenodes", "", props("dfs.ha.namenodes.ns", " , "),
			[]string{"dfs.ha.namenodes.ns in", "lists no NameNodes"}},
		{"listed nameservice without namenodes", "", props("dfs.nameservices", "ns,other", "dfs.namenode.rpc-address.ns", "a:1"),
			[]string{"nameservice other is listed", "dfs.ha.namenodes.other"}},
		{"address without port", "", props("dfs.ha.namenodes.ns", "nn1", "dfs.namenode.rpc-address.ns.nn1", "nn1.example.com"),
			[]string{"dfs.namenode.rpc-address.ns.nn1 in", "host:port"}},
		{"address bad port", "", props("dfs.namenode.rpc-address.ns", "h:99999", "dfs.nameservices", "ns"),
			[]string{"1 to 65535"}},
		{"replication zero", "", props("dfs.replication", "0"), []string{"dfs.replication in", "whole number"}},
		{"replication text", "", props("dfs.replication", "three"), []string{"dfs.replication in"}},
		{"replication too high", "", props("dfs.replication", "40000"), []string{"dfs.replication in"}},
		{"block size unaligned", "", props("dfs.blocksize", "1000"), []string{"dfs.blocksize in", "multiple of 512"}},
		{"block size suffix", "", props("dfs.blocksize", "128mb"), []string{"dfs.blocksize in", "suffix"}},
		{"block size overflow", "", props("dfs.blocksize", "9e"), []string{"overflows"}},
		{"defaultFS without authority", props("fs.defaultFS", "hdfs:///"), "", []string{"fs.defaultFS in", "names no nameservice"}},
		{"defaultFS with user", props("fs.default.name", "hdfs://u@ns/"), "", []string{"fs.default.name in", "without user"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConf(writeConf(t, tc.core, tc.hdfs))
			if err == nil {
				err = c.validate()
			}
			wantErr(t, err, shoal.EINVALID, tc.fragments...)
		})
	}
}

func TestConfGoodValues(t *testing.T) {
	// fs.defaultFS naming another file system is no default, not an error.
	c := mustLoad(t, writeConf(t, props("fs.defaultFS", "file:///"), ""))
	if def, err := c.defaultAuthority(); def != "" || err != nil {
		t.Errorf("file:/// default: %q, %v", def, err)
	}
	// Properties without a name are skipped; names and values are trimmed.
	c = mustLoad(t, writeConf(t, props("", "x", " dfs.replication ", " 4 "), ""))
	if r, _ := c.replication(); r != 4 || len(c.props) != 1 {
		t.Errorf("replication %d, props %v", r, c.props)
	}
	// A property whose name contains fs.default with a value that is not
	// a URL must not reach the library, which would panic on it.
	c = mustLoad(t, writeConf(t, props("dfs.default.chunk.view.size", ":1", "fs.defaultFS", "hdfs://ns:1"), ""))
	f := &FS{conf: c, timeout: DefaultTimeout}
	_ = f.clientOptions([]string{"ns:1"})
}

func TestProtection(t *testing.T) {
	for _, tc := range []struct{ prot, encrypt, want string }{
		{"", "", ""},
		{"authentication", "", "authentication"},
		{"integrity", "", "integrity"},
		{"privacy", "", "privacy"},
		{"authentication,integrity", "", "integrity"},
		{" Privacy , authentication", "", "privacy"},
		{"", "true", "privacy"},
		{"authentication", "TRUE", "privacy"},
		{"integrity", "false", "integrity"},
	} {
		c := mustLoad(t, writeConf(t, "", props("dfs.data.transfer.protection", tc.prot, "dfs.encrypt.data.transfer", tc.encrypt)))
		if got, err := c.protection(); err != nil || got != tc.want {
			t.Errorf("protection(%q, encrypt %q) = %q, %v; want %q", tc.prot, tc.encrypt, got, err, tc.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"512", 512}, {"1k", 1 << 10}, {"1K", 1 << 10}, {"128m", 128 << 20}, {" 2g ", 2 << 30},
		{"3t", 3 << 40}, {"1p", 1 << 50}, {"7e", 7 << 60}, {"0", 0},
	} {
		if got, err := parseBytes(tc.in); err != nil || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "m", "1.5g", "+1", "-1", "1mb", "8e", "99999999999999999999", "0x10"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestSplitURI(t *testing.T) {
	for _, tc := range []struct{ in, auth, path string }{
		{"hdfs://ns/a/b", "ns", "/a/b"},
		{"hdfs://ns", "ns", "/"},
		{"hdfs://ns/", "ns", "/"},
		{"hdfs://h.example.com:8020/a//b/", "h.example.com:8020", "/a/b"},
		{"HDFS://ns/x", "ns", "/x"},
		{"hdfs:///x", "", "/x"},
		{"/x/y", "", "/x/y"},
		{"hdfs://ns/t/dt=10%3A00/f", "ns", "/t/dt=10%3A00/f"}, // never decoded
		{"hdfs://ns/t/a b", "ns", "/t/a b"},
		{"hdfs://[fd00::1]:8020/x", "[fd00::1]:8020", "/x"},
	} {
		auth, p, err := splitURI(tc.in)
		if err != nil || auth != tc.auth || p != tc.path {
			t.Errorf("splitURI(%q) = %q, %q, %v; want %q, %q", tc.in, auth, p, err, tc.auth, tc.path)
		}
	}
	for _, in := range []string{"s3://b/k", "file:///x", "relative/p", "", "hdfs://u@ns/x", "hdfs://ns?x/y", "hdfs:////x", "/a\x00b"} {
		_, _, err := splitURI(in)
		wantErr(t, err, shoal.EINVALID)
	}
}

func TestChild(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{"hdfs://ns/a", "hdfs://ns/a/f"},
		{"hdfs://ns/a/", "hdfs://ns/a/f"},
		{"hdfs://ns", "hdfs://ns/f"},
		{"hdfs://ns/", "hdfs://ns/f"},
		{"hdfs:///", "hdfs:///f"},
		{"/", "/f"},
		{"/t/dt=10%3A00", "/t/dt=10%3A00/f"},
	} {
		if got := child(tc.dir, "f"); got != tc.want {
			t.Errorf("child(%q) = %q, want %q", tc.dir, got, tc.want)
		}
	}
}

// FuzzParseConf feeds arbitrary bytes as hdfs-site.xml (after the HA
// core-site.xml) and checks that parsing, validation, NameNode resolution
// and the library's option building never panic, and that every failure is
// an EINVALID error.
func FuzzParseConf(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.xml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(props("fs.defaultFS", "hdfs://[::1", "dfs.default.x", ":1")))
	f.Add([]byte(props("dfs.ha.namenodes.", "a", "dfs.namenode.rpc-address..a", "h:1")))
	core, err := os.ReadFile("testdata/ha/core-site.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newConf("fuzz")
		if err := c.parse("core-site.xml", core); err != nil {
			t.Fatal(err)
		}
		if err := c.parse("hdfs-site.xml", data); err != nil {
			if shoal.ErrorCode(err) != shoal.EINVALID || !strings.Contains(err.Error(), "hdfs-site.xml") {
				t.Fatalf("parse error %v", err)
			}
			return
		}
		if err := c.validate(); err != nil && shoal.ErrorCode(err) != shoal.EINVALID {
			t.Fatalf("validate: %v", err)
		}
		for _, ns := range append(c.nameservices(), "", "mycluster", "h:1") {
			addrs, err := c.namenodes(ns)
			if err != nil {
				if shoal.ErrorCode(err) != shoal.EINVALID {
					t.Fatalf("namenodes(%q): %v", ns, err)
				}
				continue
			}
			if len(addrs) == 0 {
				t.Fatalf("namenodes(%q) is empty without an error", ns)
			}
			for _, a := range addrs {
				if err := checkAddress(a); err != nil {
					t.Fatalf("namenodes(%q) returned bad address %q", ns, a)
				}
			}
		}
		if bs, err := c.blockSize(); err == nil && bs != 0 && checkBlockSize(bs) != nil {
			t.Fatalf("block size %d accepted", bs)
		}
		_, _ = c.kerberos()
		_, _ = c.principal()
		_, _ = c.protection()
		fs := &FS{conf: c, timeout: DefaultTimeout}
		_ = fs.clientOptions([]string{"h:1"})
	})
}
