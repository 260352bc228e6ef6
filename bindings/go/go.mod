module sparseflow.dev/sparseflow

go 1.19
