/** Where Debian's `dataset-fashion-mnist` puts the IDX files (`rxgrad prepare fashion-mnist`'s default source). */
export const FASHION_MNIST_SOURCE = '/usr/share/datasets/fashion-mnist';
