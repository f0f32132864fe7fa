// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 as a
// dependency: etcd's own server/go.mod has replace directives, so
// `go install go.etcd.io/etcd/server/v3@version` is refused.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
