/* The file system: one tmpfs tree as /, with the initramfs unpacked into it
 * (lazily, file data left in place in the initrd until first written),
 * character devices under /dev, and /proc generated on read (guest-kernel/fs/). */
#ifndef K_FS_H
#define K_FS_H

#include "errno.h"
#include "kernel.h"
#include "sched.h"

struct task;
struct file;
struct file_lock;

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFBLK  0060000
#define S_IFIFO  0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

#define O_ACCMODE   3
#define O_RDONLY    0
#define O_WRONLY    1
#define O_RDWR      2
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define O_PATH      010000000

#define AT_FDCWD            -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EACCESS          0x200
#define AT_EMPTY_PATH       0x1000

#define PATH_MAX 4096
#define NAME_LEN 63          /* the longest name a directory entry holds here */
#define MAX_SYMLINKS 40

/* A name in a directory. */
struct dentry {
	struct dentry *next;     /* the directory's next entry (creation order); free list */
	struct inode *inode;     /* NULL: free */
	struct inode *dir;
	u32 seq;                 /* getdents position: stable while entries come and go */
	u8 len;
	char name[NAME_LEN + 1];
};

enum proc_kind {
	PROC_NONE, PROC_ROOT, PROC_SELF, PROC_PID, PROC_FDDIR, PROC_FDLINK, PROC_EXE, PROC_CWD,
	PROC_SYS, PROC_SYS_KERNEL,
	/* files, generated at open */
	PROC_FILES, PROC_MEMINFO = PROC_FILES, PROC_STAT, PROC_UPTIME, PROC_LOADAVG, PROC_PID_MAX, PROC_THREADS_MAX, PROC_TAINTED, PROC_CORE_PATTERN,
	PROC_VMSTAT, PROC_CPUINFO,
	PROC_MOUNTS, PROC_PID_STAT, PROC_PID_STATUS, PROC_PID_CMDLINE, PROC_PID_MAPS,
	PROC_PID_COMM,
	PROC_PID_PAGEMAP, /* read entry by entry, not generated */
};

struct inode {
	u32 mode;                /* 0: free */
	u32 uid, gid;
	u32 nlink;
	int refs;                /* open files, cwds, lookups in progress */
	u32 rdev;                /* character devices: major << 8 | minor */
	u64 size;
	u64 atime, mtime, ctime; /* ns since boot: the guest has no wall clock */
	/* Data of regular files and symlinks: `ro` (initrd bytes, read in place)
	 * until the first change, then pages through a two-level index. */
	const u8 *ro;
	u64 index;               /* pa of the top index page, or 0 */
	u64 pages;               /* data and index pages held */
	/* Directories. */
	struct inode *parent;    /* ".." (a reference, for /proc's) */
	struct dentry *children, *last_child;
	struct dentry *dentry;   /* a name of this inode (dirs: the one), for paths */
	/* /proc */
	u8 proc;                 /* enum proc_kind */
	bool parent_ref;
	int pid, fd;
	struct pipe *pipe;       /* a FIFO's, while open (kernel/pipe.c) */
	/* Regular files: held by a read, write or truncate through a file
	 * (fs/open.c), since reads and writes yield between pages. */
	struct task *locker;
	struct wait_queue lock_wait;
	/* Regular files, as Linux's i_writecount: open files that may write
	 * (> 0), or address spaces running it as their program (< 0). Each
	 * shuts out the other with ETXTBSY. */
	int writecount;
	/* Record locks (fs/locks.c), NULL when none. */
	struct file_lock *file_locks;
};

/* Per task (shared by CLONE_FS): the working directory and the umask. */
struct fs_struct {
	int refs;
	u32 umask;
	struct inode *cwd;
};

extern struct inode *root_inode;

/* fs/tmpfs.c */
struct inode *inode_alloc(u32 mode);          /* refs 1, nlink 0; NULL if none free */
static inline struct inode *iget(struct inode *i)
{
	i->refs++;
	return i;
}
void iput(struct inode *i);
static inline int get_write_access(struct inode *i)
{
	return i->writecount < 0 ? -ETXTBSY : (i->writecount++, 0);
}
static inline void put_write_access(struct inode *i) { i->writecount--; }
static inline int deny_write_access(struct inode *i)
{
	return i->writecount > 0 ? -ETXTBSY : (i->writecount--, 0);
}
static inline void allow_write_access(struct inode *i) { i->writecount++; }
u64 inode_ino(const struct inode *i);
u64 tmpfs_pages_used(void);
u32 tmpfs_inodes_max(void);
u32 tmpfs_inodes_used(void);
u64 ktime_ns(void);
/* Directory entries. */
struct dentry *dir_find(struct inode *dir, const char *name, size_t len);
int dir_link(struct inode *dir, const char *name, size_t len, struct inode *i); /* nlink++ */
void dir_unlink(struct dentry *d);                                               /* nlink-- */
int dir_move(struct dentry *d, struct inode *dir, const char *name, size_t len);
/* Data. */
long inode_read(struct inode *i, u64 pos, u64 ubuf, u64 n);          /* to user memory */
long inode_write(struct inode *i, u64 pos, u64 ubuf, u64 n);         /* from user memory */
long inode_read_kernel(struct inode *i, u64 pos, void *buf, u64 n);
long inode_write_kernel(struct inode *i, u64 pos, const void *buf, u64 n);
int inode_truncate(struct inode *i, u64 size);
s64 inode_seek_data(struct inode *i, u64 off, bool hole); /* SEEK_DATA, SEEK_HOLE */
/* Copies file bytes [pos, pos+n) to guest-physical dst (holes read as zero). */
void inode_copy_phys(struct inode *i, u64 pos, u64 dst_pa, u64 n);
/* The page holding file offset pos (materialising initrd data and, with
 * alloc, holes): its pa, or 0 with -errno in *err. */
u64 inode_page(struct inode *i, u64 pos, bool alloc, int *err);
int inode_materialize(struct inode *i);

/* fs/rootfs.c */
void fs_init(const void *initrd, size_t len); /* the root, /dev, /proc, /tmp */
/* Continues the lazy unpacking of the initramfs until `name` appears in dir
 * (true) or the archive ends (false). */
bool initramfs_more(struct inode *dir, const char *name, size_t len);
void initramfs_all(void);

/* fs/namei.c */
#define LOOKUP_FOLLOW 1      /* follow a symlink in the last component */
#define LOOKUP_EMPTY  2      /* "" names dirfd itself (AT_EMPTY_PATH) */
struct nameidata {
	struct inode *dir;       /* the last component's directory (ref), or NULL */
	struct inode *inode;     /* what the path names (ref), or NULL if it does not exist */
	struct file *file;       /* a /proc/PID/fd link to a file without an inode (ref) */
	bool trailing_slash;
	u8 len;
	char name[NAME_LEN + 1]; /* the last component */
};
/* Copies a user path (PATH_MAX) into buf: 0, -EFAULT, -ENAMETOOLONG, -ENOENT (""). */
long getname(u64 upath, char *buf);
int path_walk(int dirfd, const char *path, int flags, struct nameidata *nd);
/* getname + path_walk, with the user's pointer. */
int user_walk(int dirfd, u64 upath, int flags, struct nameidata *nd);
void nd_put(struct nameidata *nd);
/* nd's last component may be made: EEXIST, ENOENT (a removed directory),
 * EACCES (/proc), else 0 (fs/dir.c). */
int may_create(const struct nameidata *nd);
/* Makes the regular file nd names, mode less the umask; nd->inode holds
 * it (fs/open.c). */
int file_create(struct nameidata *nd, u32 mode);
/* chdir for the kernel's own path (pid 1's --cwd). */
long kernel_chdir(const char *path);
/* Writes inode's absolute path (best effort) into buf; its length. */
int inode_path(struct inode *i, char *buf, size_t n);
struct fs_struct *fs_struct_alloc(void);  /* pid 1's: cwd /, umask 022 (kernel/fork.c) */
void exit_fs(struct task *t);
struct inode *task_exe_inode(struct task *t);

/* fs/open.c */
struct file *file_open_inode(struct inode *i, int flags, int *err);
struct file *fd_get_file(int fd);
extern const struct file_ops tmpfs_file_ops, tmpfs_dir_ops;

/* fs/devices.c */
int dev_open(struct inode *i, struct file *f);
void get_random(void *buf, size_t n);

/* fs/proc.c */
struct inode *proc_lookup(struct inode *dir, const char *name, size_t len);
int proc_readlink(struct inode *i, char *buf, size_t n, struct file **magic);
int proc_open(struct inode *i, struct file *f);
/* The next entry of a /proc directory at or after *pos; 0 at the end. */
int proc_next_entry(struct inode *dir, u64 *pos, char *name, u8 *type, u64 *ino);

#define DT_UNKNOWN 0
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10

static inline u8 mode_dtype(u32 mode)
{
	return (mode & S_IFMT) >> 12;
}

#endif
