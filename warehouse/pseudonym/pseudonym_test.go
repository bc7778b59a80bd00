package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
)

// fresh is the key by its definition: a new HMAC-SHA256 of prefix+id, first 16 bytes.
func fresh(secret []byte, s string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// The reused HMACs give every key its definition, also when goroutines share a Keyer.
func TestKeysAreTheHMACOfTheirID(t *testing.T) {
	t.Parallel()
	secret := []byte("test-pseudonym-secret")
	k := New(secret)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				id := fmt.Sprintf("00000000-0000-4000-8000-%012d", g*1000+i)
				if got, want := k.Person(id), fresh(secret, "person:"+id); got != want {
					errs <- fmt.Sprintf("Person(%s) = %s, want %s", id, got, want)
					return
				}
				if got, want := k.Enrolment(id), fresh(secret, "enrolment:"+id); got != want {
					errs <- fmt.Sprintf("Enrolment(%s) = %s, want %s", id, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if a, b := New([]byte("a")).Person("x"), New([]byte("b")).Person("x"); a == b {
		t.Errorf("two secrets gave the same key %s", a)
	}
	if got, want := (Keyer{secret: secret}).Person("x"), fresh(secret, "person:x"); got != want {
		t.Errorf("a Keyer without its pool: %s, want %s", got, want)
	}
}
