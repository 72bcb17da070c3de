// Command etcd: the etcd server, as etcd's own root main.go builds it (that root module is not on the
// Go module proxy for this release, so this wrapper module calls the same entry point).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
