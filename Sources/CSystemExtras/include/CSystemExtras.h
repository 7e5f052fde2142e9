// System calls the Swift Glibc module leaves out because they need _GNU_SOURCE.
#ifndef LIFEBOAT_CSYSTEMEXTRAS_H
#define LIFEBOAT_CSYSTEMEXTRAS_H

/// Asks the kernel to start writing a file range back to disk without waiting for it
/// (sync_file_range with SYNC_FILE_RANGE_WRITE); a no-op where that call does not exist.
/// Durability still needs fsync: this only gives the fsync less left to do.
int lifeboat_start_writeback(int fd, long long offset, long long length);

/// Makes every allocation of `bytes` or more its own mapping, returned to the kernel when freed
/// (mallopt M_MMAP_THRESHOLD), instead of glibc's threshold that rises to the size of each
/// large block freed, after which such blocks stay in per-thread arenas; a no-op elsewhere.
int lifeboat_set_mmap_threshold(int bytes);

#endif
