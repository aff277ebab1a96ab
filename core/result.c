/* Messages and names for vs_result. */
#include <vs/result.h>

#include <stddef.h>

typedef struct result_text {
    const char *name;
    const char *message;
} result_text;

static const result_text result_texts[VS_RESULT_COUNT] = {
    [VS_OK] = {"VS_OK", "success"},
    [VS_ERR_INVALID_ARG] = {"VS_ERR_INVALID_ARG",
                            "invalid argument (zero or unaligned size or address, unsupported page size, NULL)"},
    [VS_ERR_NO_MEMORY] = {"VS_ERR_NO_MEMORY", "bookkeeping allocator is out of memory"},
    [VS_ERR_NO_SPACE] = {"VS_ERR_NO_SPACE", "no free virtual range of the requested size and alignment"},
    [VS_ERR_OUT_OF_RANGE] = {"VS_ERR_OUT_OF_RANGE", "range lies outside the vspace's managed range"},
    [VS_ERR_OVERLAP] = {"VS_ERR_OVERLAP", "range overlaps an existing reservation"},
    [VS_ERR_NOT_RESERVED] = {"VS_ERR_NOT_RESERVED", "range is not inside one reservation"},
    [VS_ERR_ALREADY_MAPPED] = {"VS_ERR_ALREADY_MAPPED", "a page in the range is already mapped"},
    [VS_ERR_NOT_MAPPED] = {"VS_ERR_NOT_MAPPED", "a page in the range is not mapped"},
    [VS_ERR_HAS_MAPPINGS] = {"VS_ERR_HAS_MAPPINGS",
                             "reservation still has mapped pages (pass VS_FREE_UNMAP to unmap them)"},
    [VS_ERR_CAP_RANGE] = {"VS_ERR_CAP_RANGE", "capability is null or wider than the architecture's word"},
    [VS_ERR_KERNEL] = {"VS_ERR_KERNEL", "a kernel operation failed (see vs_last_kernel_error)"},
    [VS_ERR_INCONSISTENT] = {"VS_ERR_INCONSISTENT", "bookkeeping invariants are violated"},
};

static const result_text *text_of(vs_result r)
{
    if ((unsigned)r >= VS_RESULT_COUNT || result_texts[r].name == NULL) {
        return NULL;
    }
    return &result_texts[r];
}

const char *vs_strerror(vs_result r)
{
    const result_text *t = text_of(r);
    return t != NULL ? t->message : "unknown vspace result code";
}

const char *vs_result_name(vs_result r)
{
    const result_text *t = text_of(r);
    return t != NULL ? t->name : "VS_ERR_UNKNOWN";
}
