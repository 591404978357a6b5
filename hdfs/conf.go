package hdfs

import (
	"encoding/xml"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	gohdfs "github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/shoalhq/shoal"
)

// confFiles are the files read from the configuration directory, in order:
// a property in a later file overrides the same property in an earlier one.
var confFiles = []string{"core-site.xml", "hdfs-site.xml"}

// hadoopConf is a Hadoop client configuration: the properties of
// core-site.xml and hdfs-site.xml, and the file each came from, for error
// messages.
type hadoopConf struct {
	dir   string // the directory read; "" when there is none
	props hadoopconf.HadoopConf
	from  map[string]string // property name → file that set it
}

func newConf(dir string) *hadoopConf {
	return &hadoopConf{dir: dir, props: hadoopconf.HadoopConf{}, from: map[string]string{}}
}

// loadConf reads core-site.xml and hdfs-site.xml from dir. An empty dir
// gives an empty configuration (namenodes then come from host:port URIs). A
// directory that does not exist, holds neither file, or holds a file that is
// not a Hadoop configuration is an EINVALID error naming the path.
func loadConf(dir string) (*hadoopConf, error) {
	c := newConf(dir)
	if dir == "" {
		return c, nil
	}
	st, err := os.Stat(dir) //nolint:gosec // the operator names the configuration directory
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, shoal.Errorf(shoal.EINVALID, "Hadoop configuration directory %s does not exist", dir)
	case err != nil:
		return nil, shoal.Errorf(shoal.EINVALID, "Hadoop configuration directory %s: %v", dir, err)
	case !st.IsDir():
		return nil, shoal.Errorf(shoal.EINVALID, "Hadoop configuration directory %s is not a directory", dir)
	}
	found := 0
	for _, name := range confFiles {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p) //nolint:gosec // the configured Hadoop directory
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, shoal.Errorf(shoal.EINVALID, "read Hadoop configuration %s: %v", p, err)
		}
		if err := c.parse(p, data); err != nil {
			return nil, err
		}
		found++
	}
	if found == 0 {
		return nil, shoal.Errorf(shoal.EINVALID, "Hadoop configuration directory %s holds neither core-site.xml nor hdfs-site.xml", dir)
	}
	return c, nil
}

// xmlConf is the layout of a Hadoop configuration file. <final>, <source>
// and <description> are ignored, as are XInclude elements.
type xmlConf struct {
	XMLName    xml.Name
	Properties []struct {
		Name  string `xml:"name"`
		Value string `xml:"value"`
	} `xml:"property"`
}

// parse adds the properties of one configuration file; file names it in
// errors. Names and values are trimmed, as Hadoop does for the properties
// read here; a property without a name is skipped. Variables (${...}) are
// not expanded.
func (c *hadoopConf) parse(file string, data []byte) error {
	var x xmlConf
	if err := xml.Unmarshal(data, &x); err != nil { //nolint:gosec // the operator's own configuration, into a fixed struct
		return shoal.Errorf(shoal.EINVALID, "Hadoop configuration %s is not valid XML: %v", file, err)
	}
	if x.XMLName.Local != "configuration" {
		return shoal.Errorf(shoal.EINVALID, "Hadoop configuration %s: the root element is <%s>, not <configuration>", file, x.XMLName.Local)
	}
	for _, p := range x.Properties {
		name := strings.TrimSpace(p.Name)
		if name == "" {
			continue
		}
		c.props[name] = strings.TrimSpace(p.Value)
		c.from[name] = file
	}
	return nil
}

func (c *hadoopConf) get(name string) string { return c.props[name] }

// where names a property and the file it came from, for error messages.
func (c *hadoopConf) where(name string) string {
	if f := c.from[name]; f != "" {
		return name + " in " + f
	}
	return name
}

// describe names the configuration for error messages.
func (c *hadoopConf) describe() string {
	if c.dir == "" {
		return "the Hadoop configuration (none loaded: HADOOP_CONF_DIR is not set)"
	}
	return "the Hadoop configuration in " + c.dir
}

// splitList splits a comma-separated property value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// validate checks every property the adapter uses, so that a bad
// configuration fails New rather than the first call that needs it.
func (c *hadoopConf) validate() error {
	if _, err := c.defaultAuthority(); err != nil {
		return err
	}
	if _, err := c.kerberos(); err != nil {
		return err
	}
	if _, err := c.protection(); err != nil {
		return err
	}
	if _, err := c.replication(); err != nil {
		return err
	}
	if _, err := c.blockSize(); err != nil {
		return err
	}
	for _, ns := range c.nameservices() {
		if _, err := c.namenodes(ns); err != nil {
			return err
		}
	}
	return nil
}

// defaultAuthority returns the authority of fs.defaultFS (or the deprecated
// fs.default.name) when it is an hdfs:// URI, and "" when it is unset or
// names another file system (Hadoop's default is file:///).
func (c *hadoopConf) defaultAuthority() (string, error) {
	name := "fs.defaultFS"
	v := c.get(name)
	if v == "" {
		name = "fs.default.name"
		v = c.get(name)
	}
	if v == "" || !hasScheme(v) {
		return "", nil
	}
	auth, _, err := splitURI(v)
	if err != nil {
		return "", shoal.Errorf(shoal.EINVALID, "%s: %s", c.where(name), shoal.ErrorMessage(err))
	}
	if auth == "" {
		return "", shoal.Errorf(shoal.EINVALID, "%s=%s names no nameservice or NameNode", c.where(name), v)
	}
	return auth, nil
}

// hasScheme reports whether v starts with hdfs://, in any case.
func hasScheme(v string) bool {
	return len(v) >= len(scheme) && strings.EqualFold(v[:len(scheme)], scheme)
}

// nameservices returns the logical nameservices: those in dfs.nameservices
// and those with a dfs.ha.namenodes.<ns> property, sorted.
func (c *hadoopConf) nameservices() []string {
	set := map[string]bool{}
	for _, ns := range splitList(c.get("dfs.nameservices")) {
		set[ns] = true
	}
	for k := range c.props {
		if ns, ok := strings.CutPrefix(k, "dfs.ha.namenodes."); ok && ns != "" {
			set[ns] = true
		}
	}
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// namenodes returns the RPC addresses (host:port) of the NameNodes serving
// an authority: the NameNodes of an HA nameservice in the order of
// dfs.ha.namenodes.<ns> (the first is tried first), the one NameNode of a
// federated nameservice (dfs.namenode.rpc-address.<ns>), or the authority
// itself when it is host:port. The empty authority (hdfs:///path) stands
// for fs.defaultFS.
func (c *hadoopConf) namenodes(authority string) ([]string, error) {
	if authority == "" {
		def, err := c.defaultAuthority()
		if err != nil {
			return nil, err
		}
		if def == "" {
			return nil, shoal.Errorf(shoal.EINVALID, "a path without a nameservice (hdfs:///path or /path) needs fs.defaultFS, which %s does not set", c.describe())
		}
		authority = def
	}
	listed := false
	for _, ns := range splitList(c.get("dfs.nameservices")) {
		listed = listed || ns == authority
	}
	if ids := c.get("dfs.ha.namenodes." + authority); ids != "" || c.from["dfs.ha.namenodes."+authority] != "" {
		key := "dfs.ha.namenodes." + authority
		list := splitList(ids)
		if len(list) == 0 {
			return nil, shoal.Errorf(shoal.EINVALID, "%s lists no NameNodes", c.where(key))
		}
		addrs := make([]string, 0, len(list))
		for _, id := range list {
			prop := "dfs.namenode.rpc-address." + authority + "." + id
			addr := c.get(prop)
			if addr == "" {
				return nil, shoal.Errorf(shoal.EINVALID, "%s lists NameNode %s, but %s is not set in %s", c.where(key), id, prop, c.describe())
			}
			if err := checkAddress(addr); err != nil {
				return nil, shoal.Errorf(shoal.EINVALID, "%s=%s: %v", c.where(prop), addr, err)
			}
			addrs = append(addrs, addr)
		}
		return addrs, nil
	}
	prop := "dfs.namenode.rpc-address." + authority
	if addr := c.get(prop); addr != "" {
		if err := checkAddress(addr); err != nil {
			return nil, shoal.Errorf(shoal.EINVALID, "%s=%s: %v", c.where(prop), addr, err)
		}
		return []string{addr}, nil
	}
	if listed {
		return nil, shoal.Errorf(shoal.EINVALID, "nameservice %s is listed in %s but has neither dfs.ha.namenodes.%s nor dfs.namenode.rpc-address.%s", authority, c.where("dfs.nameservices"), authority, authority)
	}
	if _, _, err := net.SplitHostPort(authority); err == nil {
		if err := checkAddress(authority); err != nil {
			return nil, shoal.Errorf(shoal.EINVALID, "hdfs://%s: %v", authority, err)
		}
		return []string{authority}, nil
	}
	known := "none"
	if ns := c.nameservices(); len(ns) > 0 {
		known = strings.Join(ns, ", ")
	}
	return nil, shoal.Errorf(shoal.EINVALID, "unknown nameservice %q in hdfs://%s: %s defines only the nameservices [%s] (dfs.nameservices, dfs.ha.namenodes.<ns>); for a single NameNode write hdfs://%s:8020", authority, authority, c.describe(), known, authority)
}

// checkAddress checks a NameNode RPC address, host:port.
func checkAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port")
	}
	if host == "" {
		return errors.New("the host is empty")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("the port is not a number from 1 to 65535")
	}
	return nil
}

// kerberos reports whether hadoop.security.authentication is kerberos.
func (c *hadoopConf) kerberos() (bool, error) {
	const prop = "hadoop.security.authentication"
	switch v := strings.ToLower(c.get(prop)); v {
	case "", "simple":
		return false, nil
	case "kerberos":
		return true, nil
	default:
		return false, shoal.Errorf(shoal.EINVALID, "%s=%s: want simple or kerberos", c.where(prop), c.get(prop))
	}
}

// principal returns dfs.namenode.kerberos.principal (for example
// nn/_HOST@EXAMPLE.COM), which a Kerberos configuration needs.
func (c *hadoopConf) principal() (string, error) {
	const prop = "dfs.namenode.kerberos.principal"
	p := c.get(prop)
	if p == "" {
		return "", shoal.Errorf(shoal.EINVALID, "hadoop.security.authentication is kerberos in %s, but %s is not set: it names the NameNode's principal, such as nn/_HOST@EXAMPLE.COM", c.describe(), prop)
	}
	if i := strings.IndexByte(p, '/'); i <= 0 || i == len(p)-1 || strings.HasPrefix(p, "@") {
		return "", shoal.Errorf(shoal.EINVALID, "%s=%s: want service/host@REALM, such as nn/_HOST@EXAMPLE.COM", c.where(prop), p)
	}
	return p, nil
}

// protection returns the level of DataNode transfer protection the client
// asks for: the highest of dfs.data.transfer.protection (authentication,
// integrity, privacy), or privacy when dfs.encrypt.data.transfer is true,
// as the library decides; "" for none. An unknown level is EINVALID.
func (c *hadoopConf) protection() (string, error) {
	const prop = "dfs.data.transfer.protection"
	for _, v := range splitList(c.get(prop)) {
		switch strings.ToLower(v) {
		case gohdfs.DataTransferProtectionAuthentication, gohdfs.DataTransferProtectionIntegrity, gohdfs.DataTransferProtectionPrivacy:
		default:
			return "", shoal.Errorf(shoal.EINVALID, "%s=%s: %q is not one of authentication, integrity, privacy", c.where(prop), c.get(prop), v)
		}
	}
	const enc = "dfs.encrypt.data.transfer"
	switch strings.ToLower(c.get(enc)) {
	case "", "true", "false":
	default:
		return "", shoal.Errorf(shoal.EINVALID, "%s=%s: want true or false", c.where(enc), c.get(enc))
	}
	return gohdfs.ClientOptionsFromConf(c.libConf()).DataTransferProtection, nil
}

// libProps are the properties hdfs.ClientOptionsFromConf reads besides the
// NameNode addresses, which this package resolves itself.
var libProps = []string{
	"dfs.client.use.datanode.hostname",
	"hadoop.security.authentication",
	"dfs.namenode.kerberos.principal",
	"dfs.data.transfer.protection",
	"dfs.encrypt.data.transfer",
}

// libConf returns the properties to hand to hdfs.ClientOptionsFromConf.
// Only those: the library parses every property whose name contains
// "fs.default" as a URL and dereferences the result without checking the
// error, so a malformed value (or dfs.default.chunk.view.size=":1") would
// panic.
func (c *hadoopConf) libConf() hadoopconf.HadoopConf {
	out := hadoopconf.HadoopConf{}
	for _, k := range libProps {
		if v, ok := c.props[k]; ok {
			out[k] = v
		}
	}
	// Hadoop trims each level; the library does not.
	if v, ok := out["dfs.data.transfer.protection"]; ok {
		out["dfs.data.transfer.protection"] = strings.Join(splitList(v), ",")
	}
	return out
}

// maxReplication is the largest replication HDFS stores (a short).
const maxReplication = 32767

// replication returns dfs.replication, the replication of new files; 0 when
// unset (the NameNode's default applies).
func (c *hadoopConf) replication() (int, error) {
	const prop = "dfs.replication"
	v := c.get(prop)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxReplication {
		return 0, shoal.Errorf(shoal.EINVALID, "%s=%s: want a whole number from 1 to %d", c.where(prop), v, maxReplication)
	}
	return n, nil
}

// blockSize returns dfs.blocksize, the block size of new files; 0 when
// unset (the NameNode's default applies).
func (c *hadoopConf) blockSize() (int64, error) {
	const prop = "dfs.blocksize"
	v := c.get(prop)
	if v == "" {
		return 0, nil
	}
	n, err := parseBytes(v)
	if err == nil {
		err = checkBlockSize(n)
	}
	if err != nil {
		return 0, shoal.Errorf(shoal.EINVALID, "%s=%s: %v", c.where(prop), v, err)
	}
	return n, nil
}

// checksumChunk is the size of the chunks the library checksums; a block
// size must be a multiple of it.
const checksumChunk = 512

func checkBlockSize(n int64) error {
	if n <= 0 || n%checksumChunk != 0 {
		return errors.New("a block size must be a positive multiple of 512 bytes")
	}
	return nil
}

// parseBytes parses a size the way Hadoop's Configuration.getLongBytes
// does: a whole number with an optional binary prefix k, m, g, t, p or e (in
// either case), so that 128m is 134217728.
func parseBytes(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	shift := 0
	if s != "" {
		if i := strings.IndexByte("kmgtpe", s[len(s)-1]); i >= 0 {
			shift = 10 * (i + 1)
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || (s != "" && (s[0] == '+' || s[0] == '-')) {
		return 0, errors.New("want a whole number of bytes with an optional k, m, g, t, p or e suffix")
	}
	if n > (1<<63-1)>>shift {
		return 0, errors.New("the size overflows 64 bits")
	}
	return n << shift, nil
}
