// Package robust holds tests that attack a real `hostdir serve` process:
// malformed PDUs over raw TCP, a thousand concurrent connections, and
// kill -9 in the middle of concurrent writes followed by a restart on the
// same data and a consistency check of the store.
package robust
