module github.com/liblxd/liblxd/bindings/go

go 1.19
