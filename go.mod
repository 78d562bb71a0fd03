module github.com/serialhub/serialhub

go 1.26
