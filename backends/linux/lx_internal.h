/* The Linux backend's state, shared by its files. */
#ifndef VS_LINUX_INTERNAL_H
#define VS_LINUX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <vs/linux_backend.h>

typedef enum lx_kind { LX_FREE = 0, LX_FRAME, LX_COPY, LX_TABLE, LX_ROOT } lx_kind;

/* frame_at's bits. A frame comes from the memfd zeroed (new, or punched
 * when freed); until it is mapped, written through a frame-access window or
 * vs_linux_frame_write, or handed out by vs_linux_frame_host, it is still
 * zero, and a window over it need not read it. */
enum { FRAME_SIZE_MASK = 0x7f, FRAME_WRITTEN = 0x80 };

/* One cap slot. A loaded program holds one per page, so the slot is kept
 * small (32 bytes): a root's window and a free slot's link share the
 * space of the fields only frames, copies and tables use (every reader
 * checks the kind first). */
typedef struct lx_cap {
    uint8_t kind;       /* lx_kind */
    uint8_t size_index; /* frames and copies: page-size index; tables: level */
    uint8_t mapped;
    uint8_t rights; /* frames: rights of the mapping */
    uint8_t file;   /* frames and copies: a page of the image file, not of the memfd */
    uint8_t unheld; /* roots: no placeholder yet (VS_LINUX_UNHELD, until vs_linux_root_hold) */
    union {
        uint32_t next_free; /* free slots: the next one (0: none) */
        struct {
            uint64_t paddr; /* frames and copies: memfd offset of the frame; file pages: phys_bytes + file offset */
            vs_cap root;    /* mapped: the root it is mapped in */
            vs_addr vaddr;  /* mapped: where (vspace address) */
        };
        struct {
            vs_addr base, end; /* roots: the window */
            int64_t offset;    /* roots: host address = vaddr + offset */
        };
    };
} lx_cap;

/* Free frames of one size: a stack of memfd offsets. */
typedef struct lx_freelist {
    uint64_t *paddr;
    size_t n, cap;
} lx_freelist;

struct vs_linux {
    const vs_arch *arch;
    int memfd;
    dev_t dev; /* the memfd's device and inode, to recognise it in /proc/self/maps */
    ino_t ino;
    int private_mappings;
    int file_fd;    /* the image file whose pages can be frames (vs_linux_set_file), or -1 */
    dev_t file_dev; /* its device and inode, to recognise it in /proc/self/maps */
    ino_t file_ino;
    uint64_t file_size;
    int detached; /* vs_linux_detach was called */
    uint64_t phys_bytes;
    uint8_t *physmap;        /* all of the memfd, read-write, shared */
    uint64_t bump;           /* memfd bytes below this were handed out at least once */
    uint64_t gap_lo, gap_hi; /* base pages below bump skipped to align a large frame, never handed out */
    lx_freelist free[VS_MAX_PAGE_SIZES];
    uint8_t *frame_at; /* per memfd page: size index + 1 of the live frame starting there, else 0
                          (FRAME_SIZE_MASK), and FRAME_WRITTEN once its bytes may differ from zero */
    uint32_t *refs;    /* per memfd page where a live frame starts: caps naming it (original and copies) */
    lx_cap *caps;      /* slot 0 unused: cap 0 is the null cap */
    uint32_t ncaps, capcap, free_slot;
    vs_linux_counts counts;
    const vs_linux_maps *maps; /* installed view for translate, or NULL */
    char error[256];
};

/* Records why a call failed and returns error (an errno value). */
int lx_fail(vs_linux *be, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The slot of cap if it is of kind k (LX_FRAME also accepts LX_COPY), else NULL. */
lx_cap *lx_get(const vs_linux *be, vs_cap cap, lx_kind k);

/* Size in bytes of a frame of size index i. */
static inline uint64_t lx_frame_bytes(const vs_linux *be, unsigned i)
{
    return (uint64_t)1 << be->arch->page_sizes[i].bits;
}

#endif
