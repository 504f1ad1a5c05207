// The stream runtime lands with its issue; this package builds so others can depend on it.
export {}
