// Command walkthrough is the quick-start of the README: connect, get a
// container, read its config, change it, see it dirty, roll back, save with
// wait, stop it (unless it is stopped already).
//
//	go run ./examples/walkthrough c1            # an existing container, running or stopped
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
	if err := run(flag.Arg(0), *create); err != nil {
		log.Fatal(err) // after run's deferred cleanup
	}
}

func run(name string, create bool) error {
	client, err := lxd.NewClient("", nil) // the local unix socket
	if err != nil {
		return err
	}
	defer client.Close()

	if create {
		c, err := client.Containers().Create(map[string]any{
			"name":   name,
			"source": map[string]any{"type": "image", "alias": "busybox"},
		}, true)
		if err != nil {
			return err
		}
		defer func() {
			if err := c.Delete(true); err != nil {
				log.Print(err)
			} else {
				fmt.Println("deleted", name)
			}
			c.Close()
		}()
		if err := c.Start(lxd.DefaultTimeout, false, true); err != nil {
			return err
		}
	}

	c, err := client.Containers().Get(name)
	if errors.Is(err, lxd.ErrNotFound) {
		var e *lxd.Error
		errors.As(err, &e) // e.Message: "GET /1.0/instances/NAME: Instance not found"
		return fmt.Errorf("no container %s: %s (HTTP %d)", name, e.Message, e.HTTPStatus)
	} else if err != nil {
		return err
	}
	defer c.Close()

	config, err := c.Get("config") // JSON text
	if err != nil {
		return err
	}
	fmt.Printf("config: %s\n", config)

	if err := c.Set("description", []byte(`"my container"`)); err != nil { // a JSON value: a string
		return err
	}
	fmt.Println("dirty:", c.Dirty()) // true

	if err := c.Rollback(); err != nil { // back to the server's state
		return err
	}
	fmt.Println("dirty after rollback:", c.Dirty()) // false

	if err := c.SetFrom("description", "my container"); err != nil { // the same, encoded with encoding/json
		return err
	}
	if err := c.Save(true); err != nil { // PUT with If-Match, waits
		if errors.Is(err, lxd.ErrPreconditionFailed) { // changed on the server meanwhile
			return fmt.Errorf("changed elsewhere: sync or rollback, then save again: %w", err)
		}
		return err
	}
	var description string
	if err := c.GetInto("description", &description); err != nil {
		return err
	}
	fmt.Println("saved description:", description)

	var status string
	if err := c.GetInto("status", &status); err != nil { // "Running", "Stopped", "Frozen", …
		return err
	}
	if status == "Stopped" {
		fmt.Println("already stopped")
	} else {
		if err := c.Stop(30*time.Second, false, true); err != nil { // clean stop, wait
			return err
		}
		if err := c.GetInto("status", &status); err != nil {
			return err
		}
	}
	fmt.Println("status:", status)
	return nil
}
