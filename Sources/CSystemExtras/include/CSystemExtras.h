// System calls the Swift Glibc module leaves out because they need _GNU_SOURCE.
#ifndef LIFEBOAT_CSYSTEMEXTRAS_H
#define LIFEBOAT_CSYSTEMEXTRAS_H

/// Asks the kernel to start writing a file range back to disk without waiting for it
/// (sync_file_range with SYNC_FILE_RANGE_WRITE); a no-op where that call does not exist.
/// Durability still needs fsync: this only gives the fsync less left to do.
int lifeboat_start_writeback(int fd, long long offset, long long length);

#endif
