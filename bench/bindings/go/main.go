// Command bench is the Go side of the bindings benchmark (see
// bench/README.md, "Bindings"; run via bench/run-bindings.sh):
// bench/bindings/bench.c's workloads and output keys through package lxd.
//
//	bench NAME GETS EXECS SAVES
//
//	get        client.Containers().Get(NAME) + obj.Close()
//	get_config the same + obj.GetInto("config", &map[string]string{}) (encoding/json)
//	exec       obj.Exec([]string{"true"}, nil, nil) (exit code, stdout, stderr as []byte)
//	set_save   obj.SetFrom("description", "...") + obj.Save(true)
//
// CPU time is CLOCK_PROCESS_CPUTIME_ID (all threads, so the Go runtime's and
// the garbage collector's too), read with a raw clock_gettime system call.
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	lxd "github.com/liblxd/liblxd/bindings/go"
)

const clockProcessCPUTimeID = 2 // CLOCK_PROCESS_CPUTIME_ID

func cpuSeconds() float64 {
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		die("clock_gettime", e)
	}
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "bench go: %s: %v\n", what, err)
	os.Exit(1)
}

func measure(key string, op func(), warmup, n int) {
	for i := 0; i < warmup; i++ {
		op()
	}
	wall := make([]float64, n)
	cpu0, w0 := cpuSeconds(), time.Now()
	for i := 0; i < n; i++ {
		t := time.Now()
		op()
		wall[i] = time.Since(t).Seconds()
	}
	w, cpu1 := time.Since(w0).Seconds(), cpuSeconds()
	sort.Float64s(wall)
	p50 := wall[n/2]
	if n%2 == 0 {
		p50 = (wall[n/2-1] + wall[n/2]) / 2
	}
	fmt.Printf("%s_n %d\n", key, n)
	fmt.Printf("%s_wall_ms %.3f\n", key, w/float64(n)*1e3)
	fmt.Printf("%s_wall_p50_ms %.3f\n", key, p50*1e3)
	fmt.Printf("%s_cpu_ms %.4f\n", key, (cpu1-cpu0)/float64(n)*1e3)
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintf(os.Stderr, "usage: %s NAME GETS EXECS SAVES\n", os.Args[0])
		os.Exit(2)
	}
	name := os.Args[1]
	var counts [3]int
	for i := range counts {
		n, err := strconv.Atoi(os.Args[2+i])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "bench go: counts must be >= 1")
			os.Exit(2)
		}
		counts[i] = n
	}
	gets, execs, saves := counts[0], counts[1], counts[2]

	fmt.Println("impl go")
	fmt.Println("version", lxd.Version())
	client, err := lxd.NewClient("", nil)
	if err != nil {
		die("NewClient", err)
	}
	defer client.Close()
	inst, err := client.Containers().Get(name)
	if err != nil {
		die("Get", err)
	}
	defer inst.Close()
	counter := 0

	measure("get", func() {
		o, err := client.Containers().Get(name)
		if err != nil {
			die("Get", err)
		}
		o.Close()
	}, 5, gets)
	measure("get_config", func() {
		o, err := client.Containers().Get(name)
		if err != nil {
			die("Get", err)
		}
		var config map[string]string
		if err := o.GetInto("config", &config); err != nil {
			die("GetInto config", err)
		}
		o.Close()
	}, 5, gets)
	measure("exec", func() {
		r, err := inst.Exec([]string{"true"}, nil, nil)
		if err != nil {
			die(`Exec ["true"]`, err)
		}
		if r.ExitCode != 0 {
			die(`Exec ["true"]`, fmt.Errorf("exited %d", r.ExitCode))
		}
	}, 3, execs)
	measure("set_save", func() {
		counter++
		if err := inst.SetFrom("description", "lxdt-bench "+strconv.Itoa(counter)); err != nil {
			die("SetFrom description", err)
		}
		if err := inst.Save(true); err != nil {
			die("Save", err)
		}
	}, 3, saves)

	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Println("peak_rss_kb", ru.Maxrss)
}
