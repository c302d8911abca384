//go:build !unix

package testdb

import "errors"

func clusterURL() (url, started string, err error) {
	return "", "", errors.New("a throwaway PostgreSQL cluster is only supported on Unix")
}

func stopCluster() {}
