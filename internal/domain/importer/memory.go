package importer

import (
	"archive/zip"
	"bytes"
	"context"

	"golang.org/x/sync/semaphore"
)

// MaxReadingBytes bounds the memory that the files a process reads at once may take:
// one workbook unpacked to the most it may (maxUnzippedBytes) beside its file, or any
// number of files that together unpack to no more. A workbook bomb is a small file that
// unpacks to a great deal: a 400 KB workbook of 400 MB of XML held 465 MB of the API's
// memory for 5 s, and eight sent at once 4.9 GB for 45 s, far past the request's
// deadline; unbounded, a handful of requests could take all of a server's memory.
const MaxReadingBytes = maxUnzippedBytes + MaxFileBytes

// reading is the process's MaxReadingBytes, shared by every import it reads.
var reading = semaphore.NewWeighted(MaxReadingBytes)

// Reserve waits until the memory that reading data may take is free (its weight, see
// weight) and reserves it until release is called, which the caller does once it has
// read the file. Every file the API imports goes through it. It waits while ctx lasts:
// a request whose deadline comes first gets ctx's error (TIMEOUT), and nothing of the
// file was read.
func Reserve(ctx context.Context, data []byte) (release func(), err error) {
	n := weight(data)
	if err := reading.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { reading.Release(n) }, nil
}

// weight is what reading data may take: the file itself and, for a workbook, what its
// parts say they unpack to, as its zip directory declares it (archive/zip refuses a
// part that unpacks to more than it declares). Beyond maxUnzippedBytes a workbook is
// refused before anything is unpacked, so no file weighs more than MaxReadingBytes.
func weight(data []byte) int64 {
	n := int64(len(data))
	if !bytes.HasPrefix(data, zipMagic) {
		return min(n, MaxReadingBytes)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return min(n, MaxReadingBytes) // refused as unreadable before anything is unpacked
	}
	var unpacked uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > maxUnzippedBytes-unpacked { // (never wraps: unpacked stays within the bound)
			return MaxReadingBytes
		}
		unpacked += f.UncompressedSize64
	}
	return min(n+int64(unpacked), MaxReadingBytes)
}
