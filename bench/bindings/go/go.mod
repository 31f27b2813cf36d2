module github.com/liblxd/liblxd/bench/bindings/go

go 1.19

require github.com/liblxd/liblxd/bindings/go v0.0.0

replace github.com/liblxd/liblxd/bindings/go => ../../../bindings/go
