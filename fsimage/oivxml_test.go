package fsimage_test

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/shoalhq/shoal/fsimage"
)

// oivInode is an <inode> of Hadoop's `hdfs oiv -p XML` output.
type oivInode struct {
	ID          uint64 `xml:"id"`
	Type        string `xml:"type"`
	Name        string `xml:"name"`
	Replication uint32 `xml:"replication"`
	MTime       int64  `xml:"mtime"`
	ATime       int64  `xml:"atime"`
	BlockSize   uint64 `xml:"perferredBlockSize"` // sic, as Hadoop spells it
	Permission  string `xml:"permission"`
	NsQuota     *int64 `xml:"nsquota"`
	DsQuota     *int64 `xml:"dsquota"`
	Blocks      []struct {
		NumBytes uint64 `xml:"numBytes"`
	} `xml:"blocks>block"`
}

func (n oivInode) row() string {
	ns, ds := int64(0), int64(0)
	if n.NsQuota != nil {
		ns, ds = *n.NsQuota, *n.DsQuota
	}
	var size uint64
	for _, b := range n.Blocks {
		size += b.NumBytes
	}
	return fmt.Sprintf("%d %s %q repl=%d mtime=%d atime=%d bs=%d perm=%s quota=%d/%d blocks=%d size=%d",
		n.ID, n.Type, n.Name, n.Replication, n.MTime, n.ATime, n.BlockSize, n.Permission, ns, ds, len(n.Blocks), size)
}

func entryRow(e fsimage.Entry) string {
	typ := map[fsimage.Type]string{fsimage.File: "FILE", fsimage.Directory: "DIRECTORY", fsimage.Symlink: "SYMLINK"}[e.Type]
	ms := func(t interface{ UnixMilli() int64 }, zero bool) int64 {
		if zero {
			return 0
		}
		return t.UnixMilli()
	}
	ns, ds := int64(0), int64(0)
	if e.Type == fsimage.Directory {
		ns, ds = e.NsQuota, e.DsQuota
	}
	return fmt.Sprintf("%d %s %q repl=%d mtime=%d atime=%d bs=%d perm=%s:%s:%s quota=%d/%d blocks=%d size=%d",
		e.ID, typ, filepath.Base(e.Path), e.Replication, ms(e.ModTime, e.ModTime.IsZero()), ms(e.AccessTime, e.AccessTime.IsZero()),
		e.PreferredBlockSize, e.User, e.Group, rwx(e.Mode), ns, ds, e.Blocks, e.Size)
}

func rwx(mode uint16) string {
	const s = "rwxrwxrwx"
	b := []byte("---------")
	for i := range 9 {
		if mode&(1<<(8-i)) != 0 {
			b[i] = s[i]
		}
	}
	return string(b)
}

// TestImage_Walk_oivXML compares every field the OIV XML carries (mtime,
// atime, preferred block size, quotas, permission) for the 216 inodes of
// the dynamometer namespace, saved by Hadoop 2.6, 2.7, 2.8 and 2.9.
func TestImage_Walk_oivXML(t *testing.T) {
	t.Parallel()
	dir := realdata(t)
	var doc struct {
		Inodes []oivInode `xml:"INodeSection>inode"`
	}
	if err := xml.Unmarshal(mustRead(t, filepath.Join(dir, "dynamometer-fsimage_0000000000000061740.oiv.xml")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Inodes) != 216 {
		t.Fatalf("xml has %d inodes, want 216", len(doc.Inodes))
	}
	want := map[uint64]string{}
	for _, n := range doc.Inodes {
		if n.ID == 16385 {
			n.Name = "/" // the root's path base
		}
		if n.ID == 16388 {
			// The binaries were re-saved ~220 transactions after the XML
			// (NS_INFO txid 61961-61969 vs 61740); in between, /user was
			// modified, identically in all four: mtime 2018-02-05.
			n.MTime = 1517869790959
		}
		want[n.ID] = n.row()
	}
	for _, v := range []string{"2_6", "2_7", "2_8", "2_9"} {
		t.Run(v, func(t *testing.T) {
			im, err := openBytes(t, mustRead(t, filepath.Join(dir, "dynamometer-hadoop_"+v, "fsimage_0000000000000061740")))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			err = im.Walk(func(e fsimage.Entry) error {
				n++
				if got := entryRow(e); got != want[e.ID] {
					t.Errorf("inode %d:\n got %s\nwant %s", e.ID, got, want[e.ID])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(want) {
				t.Errorf("walked %d inodes, want %d", n, len(want))
			}
		})
	}
}
