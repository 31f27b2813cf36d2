// Command walkthrough is the quick-start of the README: connect, get a
// container, read its config, change it, see it dirty, roll back, save with
// wait, stop it.
//
//	go run ./examples/walkthrough c1            # an existing container
//	go run ./examples/walkthrough -create NAME  # make NAME from the busybox image first, delete it after
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

func main() {
	create := flag.Bool("create", false, "create the container from the image alias busybox, and delete it at the end")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: walkthrough [-create] CONTAINER")
	}
	name := flag.Arg(0)

	client, err := lxd.NewClient("", nil) // the local unix socket
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	if *create {
		c, err := client.Containers().Create(map[string]any{
			"name":   name,
			"source": map[string]any{"type": "image", "alias": "busybox"},
		}, true)
		if err != nil {
			log.Fatal(err)
		}
		defer func() {
			if err := c.Delete(true); err != nil {
				log.Print(err)
			}
			c.Close()
			fmt.Println("deleted", name)
		}()
		if err := c.Start(lxd.DefaultTimeout, false, true); err != nil {
			log.Panic(err)
		}
	}

	c, err := client.Containers().Get(name)
	if errors.Is(err, lxd.ErrNotFound) {
		var e *lxd.Error
		errors.As(err, &e)
		log.Fatalf("no container %s: %s (HTTP %d)", name, e.Message, e.HTTPStatus)
	} else if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	config, err := c.Get("config") // JSON text
	if err != nil {
		log.Panic(err)
	}
	fmt.Printf("config: %s\n", config)

	must(c.Set("description", []byte(`"my container"`))) // a JSON value: a string
	fmt.Println("dirty:", c.Dirty())                     // true
	must(c.Rollback())                                   // back to the server's state
	fmt.Println("dirty after rollback:", c.Dirty())      // false

	must(c.SetFrom("description", "my container")) // the same, encoded with encoding/json
	if err := c.Save(true); err != nil {           // PUT with If-Match, waits
		if errors.Is(err, lxd.ErrPreconditionFailed) { // changed on the server meanwhile
			log.Panic("changed elsewhere: sync or rollback, then save again: ", err)
		}
		log.Panic(err)
	}
	var description string
	must(c.GetInto("description", &description))
	fmt.Println("saved description:", description)

	must(c.Stop(30*time.Second, false, true)) // clean stop, wait
	var status string
	must(c.GetInto("status", &status))
	fmt.Println("status:", status)
}

func must(err error) {
	if err != nil {
		log.Panic(err) // panics, so that deferred cleanup runs
	}
}
