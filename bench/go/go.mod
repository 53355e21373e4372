module shimbench

go 1.21
