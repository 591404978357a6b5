package hdfs

import (
	"path"
	"strings"

	"github.com/shoalhq/shoal"
)

const scheme = "hdfs://"

// splitURI splits hdfs://authority/path into its authority and its clean
// absolute path. The path is taken literally, never percent-decoded: Hive
// escapes partition values as %XX in the directory names themselves, so
// hdfs://ns/t/dt=10%3A00 names the directory "dt=10%3A00". An absolute path
// without a scheme, and hdfs:///path, have the empty authority, which stands
// for fs.defaultFS.
func splitURI(uri string) (authority, p string, err error) {
	rest := uri
	switch {
	case hasScheme(uri):
		rest = uri[len(scheme):]
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			authority, rest = rest, "/"
		} else {
			authority, rest = rest[:i], rest[i:]
		}
		if strings.ContainsAny(authority, "@?#") {
			return "", "", shoal.Errorf(shoal.EINVALID, "%s: the authority of an hdfs:// URI is a nameservice or host:port, without user or query", uri)
		}
		if authority == "" && strings.HasPrefix(rest, "//") {
			return "", "", shoal.Errorf(shoal.EINVALID, "%s: not an hdfs:// URI", uri)
		}
	case strings.HasPrefix(uri, "/"):
	default:
		return "", "", shoal.Errorf(shoal.EINVALID, "%s: not an hdfs:// URI or absolute path", uri)
	}
	if strings.IndexByte(rest, 0) >= 0 {
		return "", "", shoal.Errorf(shoal.EINVALID, "%q: a path must not contain NUL", uri)
	}
	return authority, path.Clean(rest), nil
}

// child returns the path of the entry name in the directory dir, in the
// form dir was given.
func child(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}
