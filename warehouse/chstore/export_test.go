package chstore

// ApplyFile exposes applyFile to the external tests.
var ApplyFile = applyFile
