/* AVL tree of reservations with free-gap augmentation. Recursive: the depth
 * is at most 1.44 log2(n), so the recursion is bounded and small. */
#include "restree.h"

static unsigned height_of(const res_node *n)
{
    return n != NULL ? n->height : 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

void restree_pull(res_node *n)
{
    const res_node *left = n->child[0];
    const res_node *right = n->child[1];
    uint64_t gap = 0;

    n->height = (uint8_t)(1 + (height_of(left) > height_of(right) ? height_of(left) : height_of(right)));
    n->sub_min = left != NULL ? left->sub_min : n->start;
    n->sub_max = right != NULL ? right->sub_max : n->end;
    if (left != NULL) {
        gap = max_u64(left->sub_gap, n->start - left->sub_max);
    }
    if (right != NULL) {
        gap = max_u64(gap, max_u64(right->sub_gap, right->sub_min - n->end));
    }
    n->sub_gap = gap;
}

/* Rotates so that child[dir] becomes the subtree root. */
static res_node *rotate(res_node *n, int dir)
{
    res_node *up = n->child[dir];
    n->child[dir] = up->child[!dir];
    up->child[!dir] = n;
    restree_pull(n);
    restree_pull(up);
    return up;
}

static int balance_of(const res_node *n)
{
    return (int)height_of(n->child[1]) - (int)height_of(n->child[0]);
}

/* Pulls n and rotates it back into balance. *changed says on entry whether
 * anything below n changed, and on return whether n's summary (height and
 * augmentation) did: once a summary stops changing, the ancestors need no
 * pull, which saves reading their other children. */
static res_node *rebalance(res_node *n, int *changed)
{
    if (!*changed) {
        return n;
    }
    uint8_t height = n->height;
    vs_addr sub_min = n->sub_min;
    vs_addr sub_max = n->sub_max;
    uint64_t sub_gap = n->sub_gap;
    restree_pull(n);
    int balance = balance_of(n);
    if (balance > 1 || balance < -1) {
        int dir = balance > 0;
        /* A child leaning the other way needs a double rotation. */
        if (balance_of(n->child[dir]) == (dir ? -1 : 1)) {
            n->child[dir] = rotate(n->child[dir], !dir);
        }
        return rotate(n, dir);
    }
    *changed = height != n->height || sub_min != n->sub_min || sub_max != n->sub_max || sub_gap != n->sub_gap;
    return n;
}

static res_node *insert_at(res_node *n, res_node *node, int *changed)
{
    if (n == NULL) {
        node->child[0] = node->child[1] = NULL;
        restree_pull(node);
        *changed = 1;
        return node;
    }
    int dir = node->start > n->start;
    n->child[dir] = insert_at(n->child[dir], node, changed);
    return rebalance(n, changed);
}

void restree_insert(restree *tree, res_node *node)
{
    int changed = 0;
    tree->root = insert_at(tree->root, node, &changed);
    tree->count++;
}

static res_node *remove_min(res_node *n, res_node **min, int *changed)
{
    if (n->child[0] == NULL) {
        *min = n;
        *changed = 1;
        return n->child[1];
    }
    n->child[0] = remove_min(n->child[0], min, changed);
    return rebalance(n, changed);
}

static res_node *remove_at(res_node *n, const res_node *node, int *changed)
{
    if (n == node) {
        *changed = 1;
        if (n->child[0] == NULL || n->child[1] == NULL) {
            return n->child[n->child[0] == NULL];
        }
        /* Splice the successor node in, so handles to it stay valid. */
        res_node *successor = NULL;
        res_node *right = remove_min(n->child[1], &successor, changed);
        successor->child[0] = n->child[0];
        successor->child[1] = right;
        *changed = 1;
        return rebalance(successor, changed);
    }
    int dir = node->start > n->start;
    n->child[dir] = remove_at(n->child[dir], node, changed);
    return rebalance(n, changed);
}

void restree_remove(restree *tree, res_node *node)
{
    int changed = 0;
    tree->root = remove_at(tree->root, node, &changed);
    tree->count--;
}

static void refresh_at(res_node *n, const res_node *node)
{
    if (n != node) {
        refresh_at(n->child[node->start > n->start], node);
    }
    restree_pull(n);
}

void restree_refresh(restree *tree, const res_node *node)
{
    refresh_at(tree->root, node);
}

res_node *restree_last_below(const restree *tree, vs_addr addr)
{
    res_node *best = NULL;
    for (res_node *n = tree->root; n != NULL;) {
        if (n->start < addr) {
            best = n;
            n = n->child[1];
        } else {
            n = n->child[0];
        }
    }
    return best;
}

res_node *restree_containing(const restree *tree, vs_addr addr)
{
    if (addr == UINT64_MAX) {
        return NULL;
    }
    res_node *n = restree_last_below(tree, addr + 1);
    return n != NULL && addr < n->end ? n : NULL;
}

int restree_is_free(const restree *tree, vs_addr start, vs_addr end)
{
    const res_node *below = restree_last_below(tree, end);
    return below == NULL || below->end <= start;
}

typedef struct gap_query {
    uint64_t size;
    uint64_t align;
    vs_addr *out;
} gap_query;

static int gap_fits(const gap_query *q, vs_addr from, vs_addr to)
{
    vs_addr aligned = (from + q->align - 1) & ~(q->align - 1);
    if (aligned < from || aligned > to || to - aligned < q->size) {
        return 0;
    }
    *q->out = aligned;
    return 1;
}

/* Searches the free space between `before` and `after`, which contains
 * exactly the reservations of subtree n, lowest address first. */
static int search_gap(const res_node *n, vs_addr before, vs_addr after, const gap_query *q)
{
    if (n == NULL) {
        return gap_fits(q, before, after);
    }
    uint64_t widest = max_u64(n->sub_gap, max_u64(n->sub_min - before, after - n->sub_max));
    if (widest < q->size) {
        return 0;
    }
    return search_gap(n->child[0], before, n->start, q) || search_gap(n->child[1], n->end, after, q);
}

int restree_find_gap(const restree *tree, vs_addr lo, vs_addr hi, uint64_t size, uint64_t align, vs_addr *out)
{
    gap_query q = {size, align, out};
    return search_gap(tree->root, lo, hi, &q);
}

static int visit(const res_node *n, int (*fn)(void *ctx, const res_node *res), void *ctx)
{
    if (n == NULL) {
        return 0;
    }
    int r = visit(n->child[0], fn, ctx);
    if (r == 0) {
        r = fn(ctx, n);
    }
    if (r == 0) {
        r = visit(n->child[1], fn, ctx);
    }
    return r;
}

int restree_for_each(const restree *tree, int (*fn)(void *ctx, const res_node *res), void *ctx)
{
    return visit(tree->root, fn, ctx);
}
